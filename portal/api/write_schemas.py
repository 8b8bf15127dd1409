"""What the write endpoints accept: JSON bodies as marshmallow schemas, which validate them (types, lengths,
choices; every message translated) and document them in /api/openapi.json. The rules beyond one field (a
juristic person's registration number, a budget's order, a closing date's range, the partner of a closed
request) stay where the pages keep them: the firm form and the services."""

from apiflask import Schema, fields
from apiflask.validators import Length, OneOf, Range
from marshmallow import RAISE, ValidationError, pre_load

from portal.api.schemas import FirmRef
from portal.clusters.models import Position
from portal.collab.models import CloseReason, Kind, OutcomeKind
from portal.firms.models import FirmSize, LegalForm
from portal.forms import clean_text
from portal.i18n import lazy_gettext as _l
from portal.thai import bangkok_today

REQUIRED = _l("This field is required.")
_CHOICE = _l("Must be one of: {choices}.")
_TOO_LONG = _l("At most {max} characters.")
_TEXT = {"required": REQUIRED, "null": _l("This field cannot be null."), "invalid": _l("Must be text.")}
_NUMBER = {**_TEXT, "invalid": _l("Not a valid integer value.")}
_DATE = {**_TEXT, "invalid": _l("Not a valid date value.")}
_DECIMAL = {**_TEXT, "invalid": _l("Not a valid decimal value."), "special": _l("Not a valid decimal value.")}
_BOOLEAN = {**_TEXT, "invalid": _l("Must be true or false.")}
BAHT_MAX = 999_999_999_999  # the pages' BahtField bound
ID = Range(1, 2**31 - 1, error=_l("From {min} to {max}."))  # a database id (PostgreSQL's integer)


class Body(Schema):
    """A JSON object whose every field is known: a misspelt field is an error, never silently ignored."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": _l("Unknown field."), "type": _l("Send a JSON object.")}

    @pre_load
    def _cleaned(self, data, **_kwargs):
        """Text as the pages' forms take it (portal.forms.clean_text): "   " is empty, as it is there."""
        return {key: clean_text(value) for key, value in data.items()} if isinstance(data, dict) else data


def text(max_length: int, required: bool = False, nullable: bool = True, **metadata):
    filled = required or not nullable
    return fields.String(required=required, allow_none=nullable and not required, error_messages=_TEXT,
                         validate=Length(min=1 if filled else None, max=max_length,
                                         error=_l("From {min} to {max} characters.") if filled else _TOO_LONG),
                         metadata=metadata)


def choice(values, required: bool = False, nullable: bool = False, **metadata):
    return fields.String(required=required, allow_none=nullable, error_messages=_TEXT,
                         validate=OneOf([v.value for v in values], error=_CHOICE), metadata=metadata)


def _year(value: int) -> None:
    last = bangkok_today().year  # the year in Thailand, not on the server's clock
    if not 1800 <= value <= last:
        raise ValidationError([_l("A year (A.D.) from 1800 to %(last)s.", last=last)])


def baht(**metadata):
    return fields.Decimal(places=2, allow_none=True, allow_nan=False, as_string=True, error_messages=_DECIMAL,
                          validate=Range(0, BAHT_MAX, error=_l("Enter an amount in baht.")),
                          # the bounds as numbers: apispec would write them as the field's strings
                          metadata={"description": "Baht (a number or a decimal string).", "minimum": 0,
                                    "maximum": BAHT_MAX, **metadata})


class FirmUpdate(Body):
    """The firm edit page's fields (not the logo); those left out keep their values. The page's rules apply
    to the profile as it would be saved: a juristic person needs its 13-digit registration number, a phone
    must be Thai, the province must exist."""

    name_th = text(200, nullable=False)
    name_en = text(200)
    legal_form = choice(LegalForm)
    registration_number = text(20)
    province = fields.String(validate=Length(max=2), error_messages=_TEXT,
                             metadata={"description": "A province's code."})
    size = choice(FirmSize)
    founded_year = fields.Integer(allow_none=True, validate=_year, strict=True, error_messages=_NUMBER,
                                  metadata={"description": "A.D."})
    description_th = text(5000)
    description_en = text(5000)
    products_th = text(2000)
    products_en = text(2000)
    phone = text(30, description="A Thai number.")
    email = text(254, description="The firm's contact e-mail.")
    line_id = text(21)
    website = text(300)
    public_listing = fields.Boolean(error_messages=_BOOLEAN,
                                    metadata={"description": "Consent to a public listing (PDPA)."})


class RequestCreate(Body):
    """The board's "post a request" page. Its rules: a title in Thai or English, the budget's order, a
    closing date from today to 12 months ahead (60 days if none), the firm's daily limit."""

    firm_id = fields.Integer(required=True, strict=True, error_messages=_NUMBER, validate=ID,
                             metadata={"description": "The posting firm: one of the token account's."})
    cluster = fields.String(allow_none=True, validate=Length(max=80), error_messages=_TEXT,
                            metadata={"description": "A cluster's slug; null or left out: open to all clusters."})
    kind = choice(Kind, required=True)
    position_sought = choice(Position, nullable=True)
    title_th = text(200)
    title_en = text(200)
    details_th = text(5000)
    details_en = text(5000)
    quantity = text(120)
    budget_min = baht()
    budget_max = baht()
    province = fields.String(allow_none=True, validate=Length(max=2), error_messages=_TEXT,
                             metadata={"description": "A province's code; null: anywhere."})
    expires_on = fields.Date(allow_none=True, error_messages=_DATE)


class RequestRenew(Body):
    expires_on = fields.Date(allow_none=True, error_messages=_DATE,
                             metadata={"description": "The new closing date; 60 days from today if left out."})


class RequestClose(Body):
    """How it ended; partnered needs the partner (a firm that responded), the value and its kind."""

    reason = fields.String(required=True, error_messages=_TEXT, validate=OneOf(
        [r.value for r in CloseReason if r is not CloseReason.EXPIRED], error=_CHOICE))
    partner_firm_id = fields.Integer(allow_none=True, strict=True, error_messages=_NUMBER, validate=ID)
    value = baht()
    outcome_kind = choice(OutcomeKind, nullable=True)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError([_l("Please give the firm a reason.")])  # a list: a bare lazy one is iterated


class Decline(Body):
    reason = fields.String(required=True, error_messages={**_TEXT, "required": _l("Please give the firm a reason.")},
                           validate=[Length(max=1000, error=_TOO_LONG), _not_blank],
                           metadata={"description": "The firm will see it."})


class MembershipRequest(Schema):
    id = fields.Integer()
    cluster = fields.String()
    status = fields.String()
    firm = fields.Nested(FirmRef)
    positions = fields.List(fields.String())
    offers = fields.String(allow_none=True)
    seeks = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class MembershipRequestList(Schema):
    items = fields.List(fields.Nested(MembershipRequest))
    next = fields.String(allow_none=True)
