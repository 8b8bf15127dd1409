"""WTForms' own error messages ("Not a valid choice.", "Field cannot be longer than …") in our catalogue.

WTForms ships no Thai translation, so its built-in messages would reach Thai users in English. The messages
are listed here so that extraction puts them in translations/…/messages.po (and the catalogue test demands a
Thai translation), and every form reads them through the portal's own catalogue in the request's language.
"""
from flask_babel import get_translations
from flask_wtf import FlaskForm

from portal.i18n import lazy_gettext as _l
from portal.i18n import lazy_ngettext as _ln

# The built-in messages our fields and validators can produce (wtforms/locale/wtforms.pot).
MESSAGES = (
    _ln("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1),
    _ln("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1),
    _ln("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", 1),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Field must be equal to %(other_name)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _ln("'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 1),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)


class CatalogueTranslations:
    """What WTForms asks of a translations object; WTForms formats the result itself (`% dict(...)`)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


_translations = CatalogueTranslations()


def init_app(app):
    """Every FlaskForm reads WTForms' messages from our catalogue (Flask-WTF would look for WTForms' own)."""
    FlaskForm.Meta.get_translations = lambda self, form: _translations
