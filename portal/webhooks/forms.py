"""The endpoint form. Input checks only: the address's safety and the events' rule are the service's."""
from wtforms import BooleanField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.forms import InputRequired, PortalForm
from portal.i18n import lazy_gettext as _l
from portal.memberships.forms import CheckboxesField
from portal.webhooks.models import EVENT_TYPES


class EndpointForm(PortalForm):
    url = StringField(_l("Address (URL)"), description=_l("Where the portal sends each event, e.g. "
                                                          "https://example.com/hooks/portal."),
                      validators=[InputRequired(), Length(max=500)])
    description = StringField(_l("Description"), description=_l("Whose system this is, for the admins."),
                              validators=[Optional(), Length(max=200)])
    events = CheckboxesField(_l("Events"), choices=[SelectChoice(code, label) for code, label in EVENT_TYPES.items()],
                             validators=[InputRequired(message=_l("Choose at least one event."))],
                             validate_choice=False)  # the service keeps known codes only
    is_active = BooleanField(_l("Active (untick to pause: nothing is sent, new events are not queued)"),
                             default=True)
