"""Forms for joining clusters and for coordinators' decisions. Input checks only."""
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.clusters.models import Position
from portal.forms import NO_REQUIRED_ATTRIBUTE, InputRequired, PortalForm, choice_int, email_field
from portal.i18n import lazy_gettext as _l


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def positions_field():
    return CheckboxesField(
        _l("Positions in the value chain"),
        choices=[SelectChoice(p.value, p.label) for p in Position],
        validators=[InputRequired(message=_l("Choose at least one position in the value chain."))],
        description=_l("A firm may hold more than one, e.g. a breeder that also exports."),
    )


class JoinForm(PortalForm):
    cluster_id = SelectField(_l("Cluster"), coerce=choice_int,
                             validators=[InputRequired(message=_l("Please choose a cluster."))])
    positions = positions_field()
    offers = TextAreaField(_l("What your firm offers in this cluster"),
                           validators=[Optional(), Length(max=1000)])
    seeks = TextAreaField(_l("What your firm is looking for in this cluster"),
                          validators=[Optional(), Length(max=1000)])


class ReasonForm(PortalForm):
    reason = TextAreaField(_l("Reason (the firm will see it)"),
                           validators=[InputRequired(message=_l("Please give the firm a reason.")),
                                       Length(max=1000)])


class PositionsForm(PortalForm):
    positions = positions_field()


class NotesForm(PortalForm):
    notes = TextAreaField(_l("Private notes (only coordinators and OSMEP staff see them)"),
                          validators=[Optional(), Length(max=5000)])


class ImportForm(PortalForm):
    file = FileField(_l("Member list (CSV or Excel)"),
                     description=_l("A CSV file or an Excel workbook (.xlsx): one firm per row, with at least the "
                                    "registration number and the positions. Headers in Thai or English, as in the "
                                    "export, which you may edit in Excel and upload again."),
                     render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument"
                                          ".spreadsheetml.sheet"})


class AppointForm(PortalForm):
    email = email_field(_l("E-mail of the coordinator's account"))
    organisation_id = SelectField(_l("On behalf of"), coerce=int, render_kw=NO_REQUIRED_ATTRIBUTE,
                                  validators=[InputRequired(message=_l("Please choose an organisation."))])
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Please give a date."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Please give a date."))])
