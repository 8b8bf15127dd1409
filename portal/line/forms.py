"""The form that finishes an account made through LINE. It checks input only; the rules are in services."""
from portal.auth.forms import name_field
from portal.forms import PortalForm, email_field
from portal.i18n import lazy_gettext as _l
from portal.privacy.forms import accept_field


class LineRegisterForm(PortalForm):
    name = name_field()
    email = email_field(description=_l("We send notifications here, and first a link to confirm the address."))
    accept_privacy = accept_field()
