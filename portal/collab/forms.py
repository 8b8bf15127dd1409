"""Forms for requests, responses, messages and closing. Input checks only; rules are in services."""
from flask import current_app
from wtforms import DateField, DecimalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.clusters.models import Position
from portal.collab.models import CloseReason, Kind, OutcomeKind
from portal.forms import NO_REQUIRED_ATTRIBUTE, InputRequired, PortalForm, choice_int, strip
from portal.i18n import lazy_gettext as _l

AMOUNT_MESSAGE = _l("Enter an amount in baht.")
BAHT = dict(places=2, validators=[Optional(), NumberRange(min=0, max=999_999_999_999, message=AMOUNT_MESSAGE)])


class BahtField(DecimalField):
    """An amount in baht. NaN and infinities are refused as they are typed: "sNaN" would make
    WTForms' NumberRange raise instead of reporting an error."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(AMOUNT_MESSAGE)


class RequestForm(PortalForm):
    firm_id = SelectField(_l("Posting as"), coerce=int, validators=[InputRequired(message=_l("Choose your firm."))],
                          render_kw=NO_REQUIRED_ATTRIBUTE)
    cluster_id = SelectField(_l("Where"), coerce=int,
                             description=_l("A cluster your firm belongs to, or every cluster."))
    kind = SelectField(_l("Kind of collaboration"), choices=[SelectChoice(k.value, k.label) for k in Kind],
                       validators=[InputRequired(message=_l("Choose the kind of collaboration."))],
                       render_kw=NO_REQUIRED_ATTRIBUTE)
    position_sought = SelectField(
        _l("Position sought in the value chain"),
        choices=[SelectChoice("", _l("Any position"))] + [SelectChoice(p.value, p.label) for p in Position])
    title_th = StringField(_l("Title in Thai"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)],
                           description=_l("Give a title in Thai, in English, or both."))
    details_th = TextAreaField(_l("Details in Thai"), validators=[Optional(), Length(max=5000)])
    details_en = TextAreaField(_l("Details in English"), validators=[Optional(), Length(max=5000)])
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=120)],
                           description=_l("e.g. 500 fish a month, 2 tonnes"))
    budget_min = BahtField(_l("Budget from (baht)"), **BAHT)
    budget_max = BahtField(_l("Budget up to (baht)"), **BAHT)
    province_id = SelectField(_l("Location"), coerce=int)
    expires_on = DateField(_l("Open until"), validators=[InputRequired(message=_l("Please give a date."))],
                           description=_l("At most 12 months from today."))

    def validate_budget_max(self, field):
        from portal.collab.services import BUDGET_ORDER

        if field.data is not None and self.budget_min.data is not None and self.budget_min.data > field.data:
            raise ValidationError(str(BUDGET_ORDER))

    def validate_expires_on(self, field):
        from portal.collab.services import check_dates
        from portal.exceptions import RuleViolation
        from portal.thai import bangkok_today

        if field.data is not None:
            try:
                check_dates(field.data, bangkok_today())
            except RuleViolation as exc:
                raise ValidationError(str(exc)) from None

    def data_for_service(self) -> dict:
        return {
            "cluster_id": self.cluster_id.data or None,
            "kind": Kind(self.kind.data),
            "position_sought": Position(self.position_sought.data) if self.position_sought.data else None,
            "title_th": self.title_th.data or None, "title_en": self.title_en.data or None,
            "details_th": self.details_th.data or None, "details_en": self.details_en.data or None,
            "quantity": self.quantity.data or None,
            "budget_min": self.budget_min.data, "budget_max": self.budget_max.data,
            "province_id": self.province_id.data or None,
        }


class RespondForm(PortalForm):
    firm_id = SelectField(_l("Responding as"), coerce=int, validators=[InputRequired(message=_l("Choose your firm."))],
                          render_kw=NO_REQUIRED_ATTRIBUTE)
    message = TextAreaField(_l("Your message"),
                            validators=[InputRequired(message=_l("Write a few words to the firm.")),
                                        Length(max=5000)],
                            description=_l("What you offer, and how to work together. Only the posting firm reads it."))


class MessageForm(PortalForm):
    body = TextAreaField(_l("Message"),
                         validators=[InputRequired(message=_l("The message is empty.")), Length(max=5000)])


class CloseForm(PortalForm):
    reason = RadioField(_l("How did it end?"),
                        choices=[SelectChoice(r.value, r.label) for r in CloseReason if r is not CloseReason.EXPIRED],
                        validators=[InputRequired(message=_l("Choose how the request ended."))])
    partner_firm_id = SelectField(_l("Partner firm"), coerce=choice_int, validators=[Optional()])
    value = BahtField(_l("Estimated value (baht)"), **BAHT)
    # strip: Optional() accepts whitespace and clears the "not a valid choice" error, so "   " must become "".
    outcome_kind = RadioField(_l("The value is"), choices=[SelectChoice(k.value, k.label) for k in OutcomeKind],
                              filters=[strip], validators=[Optional()])

    def validate(self, extra_validators=None):
        """Closing as partnered needs the value and its kind, each asked for beside its own field (their
        Optional() validators stop before an inline validate_<field> would run)."""
        from portal.collab.services import VALUE_NEEDED

        valid = super().validate(extra_validators)
        if self.reason.data == CloseReason.PARTNERED.value:
            for field in (self.value, self.outcome_kind):
                if field.data in (None, "") and not field.errors:
                    field.errors = [*field.errors, str(VALUE_NEEDED)]
                    valid = False
        return valid

    def validate_value(self, field):
        from portal.collab.services import value_too_high

        if field.data is not None and field.data > current_app.config["OUTCOME_VALUE_MAX"]:
            raise ValidationError(str(value_too_high()))
