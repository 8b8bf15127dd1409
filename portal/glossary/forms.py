"""The glossary page's form. Input checks only; the rules (Thai on the Thai side, no duplicates) are in
services."""
from wtforms import StringField
from wtforms.validators import Length

from portal.forms import InputRequired, PortalForm
from portal.glossary.models import TERM_LENGTH
from portal.i18n import lazy_gettext as _l

TOO_LONG = _l("A term can be at most %(num)s characters long.", num=TERM_LENGTH)


class EntryForm(PortalForm):
    term_th = StringField(_l("Thai term"), description=_l("As Thai owners write it, e.g. ทุเรียน"),
                          validators=[InputRequired(message=_l("Please enter the Thai term.")),
                                      Length(max=TERM_LENGTH, message=TOO_LONG)],
                          render_kw={"maxlength": TERM_LENGTH, "lang": "th", "autocomplete": "off"})
    term_en = StringField(_l("English term"), description=_l("As foreign buyers would search, e.g. durian"),
                          validators=[InputRequired(message=_l("Please enter the English term.")),
                                      Length(max=TERM_LENGTH, message=TOO_LONG)],
                          render_kw={"maxlength": TERM_LENGTH, "lang": "en", "autocomplete": "off",
                                     "autocapitalize": "none"})
