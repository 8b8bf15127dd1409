"""The forms of "Download my data" and "Delete my account"."""
from wtforms import PasswordField, SelectField

from portal.forms import InputRequired, PortalForm, choice_int
from portal.i18n import lazy_gettext as _l


class DeleteForm(PortalForm):
    """Confirming the deletion: the password, or for an account without one its e-mail address."""

    answer = PasswordField(_l("Your password"), validators=[InputRequired(message=_l("Please confirm."))],
                           render_kw={"autocomplete": "current-password"})


class HandOverForm(PortalForm):
    new_owner = SelectField(_l("New owner"), coerce=choice_int,
                            validators=[InputRequired(message=_l("Choose a member of the firm's team."))])
