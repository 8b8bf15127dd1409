"""Forms for the staff pages of the results. Input checks only; rules are in services."""
from portal.collab.forms import BAHT, BahtField
from portal.forms import InputRequired, PortalForm
from portal.i18n import lazy_gettext as _l


class ThresholdForm(PortalForm):
    value = BahtField(_l("Staff confirm values above (baht)"),
                      description=_l("A coordinator may confirm a reported partnership up to this value; above "
                                     "it, only OSMEP staff confirm."),
                      places=2, validators=[InputRequired(message=_l("Enter an amount in baht.")),
                                            *BAHT["validators"][1:]])
