"""Form pieces shared by features."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Email, InputRequired, Length


def choice_int(value):
    """coerce= for a select whose first option is an empty placeholder ("Choose …"): nothing chosen is None.
    (A required select must start with an empty option, or browsers and the HTML validator object.)"""
    return None if value in ("", None) else int(value)


# For a select that always has a value chosen (no placeholder): the `required` attribute would be invalid HTML.
NO_REQUIRED_ATTRIBUTE = {"required": False}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def place_error(form, exc, default: str | None = None) -> None:
    """Show a rule's message (RuleViolation) beside the field it is about, else beside `default`, else in
    the form's error summary."""
    name = exc.field if getattr(exc, "field", None) in form else default
    if name in form:
        form[name].errors = [*form[name].errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


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
