"""Forms for matching days. Input checks only (types, lengths, required); the rules are in services."""
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import TimeField as WTFTimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.events.models import (
    MAX_MEETINGS_PER_FIRM,
    MAX_SESSIONS,
    MAX_SLOTS_PER_SESSION,
    MAX_TABLES,
    MEETING_LENGTHS,
)
from portal.forms import NO_REQUIRED_ATTRIBUTE, InputRequired, PortalForm, clean_text
from portal.i18n import lazy_gettext as _l
from portal.memberships.forms import CheckboxesField
from portal.validators import Website

DATE_NEEDED = _l("Please give a date.")


class TimeField(WTFTimeField):
    """A start time as browsers send it (HH:MM), with a translated message when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Enter a time such as 09:00."))) from None


class SessionForm(Form):
    """One session; a row left empty is not a session."""

    day = DateField(_l("Date"), validators=[Optional()])
    start_time = TimeField(_l("Start time"), validators=[Optional()])
    slot_count = IntegerField(_l("Number of slots"), validators=[
        Optional(), NumberRange(min=1, max=MAX_SLOTS_PER_SESSION,
                                message=_l("A session has from 1 to %(num)s slots.", num=MAX_SLOTS_PER_SESSION))])

    @property
    def is_blank(self) -> bool:
        return self.day.data is None and self.start_time.data is None and self.slot_count.data is None


def _date(label, description=None):
    return DateField(label, validators=[InputRequired(message=DATE_NEEDED)], description=description)


class EventForm(PortalForm):
    title_th = StringField(_l("Title in Thai"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)],
                           description=_l("Give a title in Thai, in English, or both."))
    description_th = TextAreaField(_l("Description in Thai"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=5000)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=300)],
                        description=_l("Where firms meet; or give an online link below, or both."))
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=300), Website()],
                             render_kw={"inputmode": "url"})
    cluster_ids = CheckboxesField(_l("For the members of"), coerce=int, validators=[Optional()],
                                  description=_l("None ticked: open to the firms of every cluster (OSMEP staff only)."))
    registration_opens_on = _date(_l("Registration opens on"))
    registration_closes_on = _date(_l("Registration closes on"))
    booking_opens_on = _date(_l("Meeting requests open on"))
    booking_closes_on = _date(_l("Meeting requests close on"),
                              _l("Requests not answered by the end of this day expire."))
    meeting_minutes = SelectField(_l("Meeting length"), coerce=int, render_kw=NO_REQUIRED_ATTRIBUTE,
                                  choices=[SelectChoice(m, _l("%(num)s minutes", num=m)) for m in MEETING_LENGTHS])
    max_meetings_per_firm = IntegerField(_l("Maximum meetings per firm"), default=8, validators=[
        InputRequired(message=_l("Give a number.")),
        NumberRange(min=1, max=MAX_MEETINGS_PER_FIRM,
                    message=_l("A firm can have from 1 to %(num)s meetings.", num=MAX_MEETINGS_PER_FIRM))])
    needs_approval = BooleanField(_l("Registrations need the organisers' approval"), default=True)
    sessions = FieldList(FormField(SessionForm), label=_l("Sessions"), min_entries=MAX_SESSIONS,
                         max_entries=MAX_SESSIONS)
    table_count = IntegerField(_l("Number of tables"), default=10, validators=[
        InputRequired(message=_l("Give a number.")),
        NumberRange(min=1, max=MAX_TABLES, message=_l("An event has from 1 to %(num)s tables.", num=MAX_TABLES))])
    table_names = TextAreaField(_l("Table names"), validators=[Optional(), Length(max=5000)],
                                description=_l("One per line, optional; tables without a name are numbered."))

    def session_rows(self):
        return [entry.form for entry in self.sessions if not entry.form.is_blank]

    def validate(self, extra_validators=None):
        """As WTForms, but the sessions' errors (one dict per row) become one list of messages for the summary;
        each row's fields keep their own."""
        valid = super().validate(extra_validators)
        if self.sessions.errors:
            flat = []
            for error in self.sessions.errors:
                messages = [m for ms in error.values() for m in ms] if isinstance(error, dict) else [error]
                flat += [m for m in messages if m not in flat]
            self.sessions.errors = flat
        return valid

    def validate_sessions(self, field):
        for row in self.session_rows():
            if row.day.data is None or row.start_time.data is None or row.slot_count.data is None:
                raise ValidationError(str(_l("Give each session a date, a start time and a number of slots.")))

    def names(self) -> list[str]:
        given = [clean_text(line)[:60] for line in (self.table_names.data or "").splitlines()]
        given = [name for name in given if name]
        count = self.table_count.data or 0
        return [given[i] if i < len(given) else str(i + 1) for i in range(count)]

    def data_for_service(self) -> dict:
        return {key: (getattr(self, key).data if not isinstance(getattr(self, key).data, str)
                      else getattr(self, key).data or None)
                for key in ("title_th", "title_en", "description_th", "description_en", "venue", "online_url",
                            "registration_opens_on", "registration_closes_on", "booking_opens_on",
                            "booking_closes_on", "meeting_minutes", "max_meetings_per_firm", "needs_approval")}


class RegistrationForm(PortalForm):
    firm_id = SelectField(_l("Registering"), coerce=int, render_kw=NO_REQUIRED_ATTRIBUTE,
                          validators=[InputRequired(message=_l("Choose your firm."))])
    attendees = StringField(_l("Who will attend"), description=_l("Names, separated by commas."),
                            validators=[InputRequired(message=_l("Give the names of the people who will attend.")),
                                        Length(max=300)])
    slot_ids = CheckboxesField(_l("When your firm can meet"), coerce=int,
                               validators=[InputRequired(message=_l("Tick at least one slot in which your firm "
                                                                    "can meet."))])
    offers = TextAreaField(_l("What you offer at this event"), validators=[Optional(), Length(max=2000)])
    seeks = TextAreaField(_l("What you are looking for"), validators=[Optional(), Length(max=2000)])
    request_ids = CheckboxesField(_l("Your open requests to show with the registration"), coerce=int,
                                  validators=[Optional()])


class MeetingRequestForm(PortalForm):
    firm_id = SelectField(_l("Requesting as"), coerce=int, render_kw=NO_REQUIRED_ATTRIBUTE,
                          validators=[InputRequired(message=_l("Choose your firm."))])
    reason = TextAreaField(_l("Why would you like to meet?"),
                           validators=[InputRequired(message=_l("Say why you would like to meet.")),
                                       Length(max=1000)],
                           description=_l("The other firm reads this before it accepts or declines."))


class DeclineForm(PortalForm):
    reason = TextAreaField(_l("Reason (the firm sees it)"), validators=[Optional(), Length(max=1000)])


class MoveMeetingForm(PortalForm):
    """Where an organiser puts a meeting; the choices are the event's slots and tables (set by the view)."""
    slot_id = SelectField(_l("Slot"), coerce=int, render_kw=NO_REQUIRED_ATTRIBUTE,
                          validators=[InputRequired(message=_l("Choose a slot."))])
    table_id = SelectField(_l("Table"), coerce=int, render_kw=NO_REQUIRED_ATTRIBUTE,
                           validators=[InputRequired(message=_l("Choose a table."))])
