"""The form that names and saves a search; stop and follow buttons use portal.forms.ConfirmForm."""
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portal.following.models import Frequency, SearchList
from portal.forms import InputRequired, PortalForm
from portal.i18n import lazy_gettext as _l


class SaveSearchForm(PortalForm):
    name = StringField(_l("Name of this search"), validators=[
        InputRequired(message=_l("Give the search a name.")), Length(max=100)])
    frequency = RadioField(_l("Tell me about new matches"),
                           choices=[SelectChoice(f.value, f.label) for f in Frequency],
                           default=Frequency.IMMEDIATE.value,
                           validators=[InputRequired(message=_l("Choose how often to be told."))])
    # Which list, and its filters as the page's URL had them (normalised again when saved).
    search_list = HiddenField(validators=[InputRequired()], default=SearchList.DIRECTORY.value)
    query = HiddenField(validators=[Length(max=2000)])
