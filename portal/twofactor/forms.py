"""Second-step, set-up and re-authentication forms. They check input only."""
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length, Optional

from portal.forms import InputRequired, PortalForm
from portal.i18n import lazy_gettext as _l

CODE_MAX = 20


def code_field(required=True):
    checks = [InputRequired(message=_l("Please enter the code."))] if required else [Optional()]
    return StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[*checks, Length(max=CODE_MAX)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"})


class SecondStepForm(PortalForm):
    code = code_field()
    remember_device = BooleanField(_l("Remember this device for 30 days"))


class EnrolTotpForm(PortalForm):
    code = StringField(_l("The 6-digit code your app shows now"),
                       validators=[InputRequired(message=_l("Please enter the code.")), Length(max=CODE_MAX)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ReauthForm(PortalForm):
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    code = code_field(required=False)


class PasskeyNameForm(PortalForm):
    name = StringField(_l("Name of this passkey"),
                       validators=[InputRequired(message=_l("Please give the passkey a name.")), Length(max=80)])
