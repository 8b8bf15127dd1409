"""Form pieces shared by features: every form derives from `PortalForm`, which cleans free text once."""
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import PasswordField, StringField, widgets
from wtforms import validators as wtf_validators
from wtforms.validators import Email, Length, StopValidation

from portal.i18n import lazy_gettext as _l
from portal.thai import collapse_marks


def choice_int(value):
    """coerce= for a select whose first option is an empty placeholder ("Choose …"): nothing chosen is None.
    (A required select must start with an empty option, or browsers and the HTML validator object.)"""
    return None if value in ("", None) else int(value)


# For a select that always has a value chosen (no placeholder): the `required` attribute would be invalid HTML.
NO_REQUIRED_ATTRIBUTE = {"required": False}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def clean_text(value):
    """Free text as it is checked and stored: no surrounding spaces, no stacked repeated marks (ก่่่่า → ก่า)."""
    return collapse_marks(value).strip() if isinstance(value, str) else value


class InputRequired(wtf_validators.InputRequired):
    """WTForms' InputRequired looks at what was sent, so "   " passes it; here text that is empty once
    cleaned (only spaces) is missing too, and gets the field's "required" message."""

    def __call__(self, form, field):
        super().__call__(form, field)
        if isinstance(field.data, str) and not isinstance(field, PasswordField) and not field.data.strip():
            message = self.message if self.message is not None else field.gettext("This field is required.")
            field.errors[:] = []
            raise StopValidation(message)


class Select(widgets.Select):
    """WTForms' select, with each option written out directly: the same HTML (tests/test_form_cleaning.py), where
    WTForms builds every option's attributes with html_params (a sort, a Markup.format and an escape per attribute).
    The new-request form's 120 options (77 provinces, 30 clusters, …) took a fifth of its page's CPU that way. An
    option with attributes of its own (a choice's render_kw) is rendered by WTForms."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if choice.render_kw or kwargs:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        value = escape(value).replace(Markup('"'), Markup("&quot;"))  # as html_params quotes a value
        label = escape(choice.label or choice.value)
        selected = " selected" if choice.selected else ""
        # html_params' order (sorted); value and label escaped above
        return Markup(f'<option{selected} value="{value}">{label}</option>')  # nosec B704


SELECT, SELECT_MULTIPLE = Select(), Select(multiple=True)


class PortalForm(FlaskForm):
    """The base of every form: each text field (not passwords, which are taken as typed) is cleaned by
    `clean_text` before any validator sees it, and each select that has WTForms' widget gets `Select`."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                options = {**options, "filters": [clean_text, *unbound_field.kwargs.get("filters", ())]}
            widget = getattr(field_class, "widget", None)
            if type(widget) is widgets.Select and "widget" not in unbound_field.kwargs:
                options = {**options, "widget": SELECT_MULTIPLE if widget.multiple else SELECT}
            return unbound_field.bind(form=form, **options)


def place_error(form, exc, default: str | None = None) -> None:
    """Show a rule's message (RuleViolation) beside the field it is about, else beside `default`, else in
    the form's error summary."""
    name = exc.field if getattr(exc, "field", None) in form else default
    if name in form:
        form[name].errors = [*form[name].errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


class ConfirmForm(PortalForm):
    """An empty form: its CSRF token guards a POST-only action such as signing out or removing."""


def email_field(label=None, **kwargs):
    return StringField(
        label or _l("E-mail"),
        validators=[
            InputRequired(message=_l("Please enter your e-mail address.")),
            Length(max=254),
            Email(message=_l("Please enter a valid e-mail address."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"},
        **kwargs,
    )
