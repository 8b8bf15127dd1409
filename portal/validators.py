"""Input checks shared by forms and services: Thai registration numbers and phones, LINE IDs, URLs,
and the `next` redirect target."""
import re
from urllib.parse import urlsplit

import phonenumbers
from stdnum.th import moa
from wtforms.validators import ValidationError

from portal.i18n import gettext as _

LINE_ID = re.compile(r"^@?[a-z0-9._-]{4,20}$")


def normalise_registration_number(value: str) -> str:
    """Digits only: people type 0-1055-67000-12-9 or with spaces."""
    return re.sub(r"[\s-]", "", value or "")


def registration_number_is_valid(value: str) -> bool:
    """13 digits whose last is the mod-11 check digit (same rule as the national ID number)."""
    return moa.is_valid(normalise_registration_number(value))


def parse_thai_phone(value: str) -> str:
    """A Thai phone number in E.164 (+66812345678); raises ValueError if it is not a valid Thai number."""
    try:
        number = phonenumbers.parse(value, "TH")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if number.country_code != 66 or not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid Thai number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_thai_phone(e164: str | None) -> str:
    """+66812345678 → 081 234 5678, as Thai people write it."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "TH"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def line_url(line_id: str | None) -> str:
    """The link that opens a LINE ID's profile in the LINE app (or LINE's download page), to add it as a friend.

    An official account's ID starts with "@": LINE's URL scheme (developers.line.biz, "Using LINE features with the
    LINE URL scheme") opens it as https://line.me/R/ti/p/%40<id>, the at sign percent-encoded. A personal LINE ID
    has no official scheme; the add-friend link people share is https://line.me/ti/p/~<id>.
    """
    if not line_id or not LINE_ID.match(line_id):
        return ""
    if line_id.startswith("@"):
        return "https://line.me/R/ti/p/%40" + line_id[1:]
    return "https://line.me/ti/p/~" + line_id


def is_safe_next(target: str | None) -> bool:
    """Only a local path may be a redirect target: /firms/1, never //evil, /\\evil, https:evil or evil."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" read as an IPv6 address
        return False
    return not parts.scheme and not parts.netloc


# --- WTForms validators -------------------------------------------------------------------------

class ThaiPhone:
    def __call__(self, form, field):
        if field.data:
            try:
                field.data = parse_thai_phone(field.data)
            except ValueError:
                message = _("Enter a Thai phone number, for example 081 234 5678 or 02 123 4567.")
                raise ValidationError(message) from None


class LineId:
    def __call__(self, form, field):
        if field.data:
            field.data = field.data.strip().lower()
            if not LINE_ID.match(field.data):
                raise ValidationError(
                    _("A LINE ID has 4 to 20 letters, digits, dots, dashes or underscores (e.g. @bettafarm).")
                )


class Website:
    def __call__(self, form, field):
        if field.data:
            value = field.data.strip()
            if "://" not in value:
                value = "https://" + value
            try:
                parts = urlsplit(value)
                acceptable = parts.scheme in ("http", "https") and "." in (parts.hostname or "")
            except ValueError:  # "[" alone parses as a broken IPv6 address
                acceptable = False
            if not acceptable:
                raise ValidationError(_("Enter a website address, for example https://example.co.th."))
            field.data = value


class RegistrationNumber:
    def __call__(self, form, field):
        if field.data:
            field.data = normalise_registration_number(field.data)
            if not re.fullmatch(r"\d{13}", field.data):
                raise ValidationError(_("A registration number has 13 digits."))
            if not registration_number_is_valid(field.data):
                raise ValidationError(_("This registration number is not valid: please check the digits."))
