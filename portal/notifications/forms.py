"""The notification settings form: one choice of channels per registered kind of notification."""
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from portal.forms import InputRequired, PortalForm
from portal.i18n import lazy_gettext as _l
from portal.notifications import labels
from portal.notifications.preferences import BOTH, EMAIL, LINE, NONE


def field_name(kind: str) -> str:
    return "kind_" + kind.replace(".", "__")


def preferences_form(kinds, line_offered: bool, **kwargs) -> PortalForm:
    """A form with a field per kind, in the page's order; LINE choices only where LINE is offered."""
    if line_offered:
        choices = [SelectChoice(EMAIL, _l("E-mail")), SelectChoice(LINE, "LINE"),
                   SelectChoice(BOTH, _l("E-mail and LINE")), SelectChoice(NONE, _l("Neither"))]
    else:
        choices = [SelectChoice(EMAIL, _l("E-mail")), SelectChoice(NONE, _l("No e-mail"))]

    class PreferencesForm(PortalForm):
        pass

    ordered = labels.ordered(kinds)
    for kind in ordered:
        setattr(PreferencesForm, field_name(kind), RadioField(
            labels.label(kind), choices=choices,
            validators=[InputRequired(message=_l("Please choose how to be told."))]))
    form = PreferencesForm(**kwargs)
    form.kinds = ordered
    return form
