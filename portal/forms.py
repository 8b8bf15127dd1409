"""Form pieces shared by features."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Email, InputRequired, Length


def strip(value):
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token guards a POST-only action such as signing out or removing."""


def email_field(label=None, **kwargs):
    return StringField(
        label or _l("E-mail"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please enter your e-mail address.")),
            Length(max=254),
            Email(message=_l("Please enter a valid e-mail address."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"},
        **kwargs,
    )
