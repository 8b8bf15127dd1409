"""Account forms. They check input only; rules that need the database live in services."""
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, Length

from portal.auth.models import EmailSetting
from portal.forms import InputRequired, PortalForm, email_field
from portal.i18n import lazy_gettext as _l
from portal.privacy.forms import accept_field

PASSWORD_MIN, PASSWORD_MAX = 8, 1000


def new_password_field(label):
    return PasswordField(
        label,
        validators=[
            InputRequired(message=_l("Please choose a password.")),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
                   message=_l("Your password must have at least %(min)d characters.", min=PASSWORD_MIN)),
        ],
        description=_l("At least %(min)d characters. A long phrase is easier to remember and harder to guess.",
                       min=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )


def repeat_field(other):
    return PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(message=_l("Please repeat the password.")),
                    EqualTo(other, message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


def name_field():
    return StringField(
        _l("Your name"),
        validators=[InputRequired(message=_l("Please enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )


class RegisterForm(PortalForm):
    name = name_field()
    email = email_field()
    password = new_password_field(_l("Password"))
    password2 = repeat_field("password")
    accept_privacy = accept_field()


class LoginForm(PortalForm):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Please enter your password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Remember me on this device"))


class ResetRequestForm(PortalForm):
    email = email_field()


class ResetForm(PortalForm):
    password = new_password_field(_l("New password"))
    password2 = repeat_field("password")


class ChangePasswordForm(PortalForm):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Please enter your current password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field(_l("New password"))
    password2 = repeat_field("password")


class SettingsForm(PortalForm):
    name = name_field()
    email_setting = RadioField(
        _l("E-mail me about notifications"),
        choices=[SelectChoice(s.value, s.label) for s in EmailSetting],
        validators=[InputRequired(message=_l("Please choose how to be told."))],
    )
    wants_request_digest = BooleanField(_l("Tell me once a day about new requests that fit my firms"))
    locale = RadioField(
        _l("Language for pages and e-mails"),
        choices=[SelectChoice("th", "ไทย"), SelectChoice("en", "English")],
        validators=[InputRequired(message=_l("Please choose a language."))],
    )
