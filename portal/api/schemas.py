"""The API's schemas: the query parameters they validate and the bodies they describe are what
/api/openapi.json documents (APIFlask builds it from them). Text comes in both languages, as stored."""
from apiflask import Schema, fields
from apiflask.validators import Length, OneOf, Range
from marshmallow import EXCLUDE

from portal.clusters.models import Position
from portal.collab.models import Kind
from portal.firms.models import FirmSize
from portal.i18n import lazy_gettext as _l

MAX_LIMIT = 100
_NUMBER = {"invalid": _l("Not a whole number.")}
_CHOICE = _l("Must be one of: {choices}.")


class PageQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # ?lang= and the like are not errors

    limit = fields.Integer(load_default=20, validate=Range(1, MAX_LIMIT, error=_l("From {min} to {max}.")),
                           error_messages=_NUMBER, metadata={"description": "Items per page, 1 to 100."})
    cursor = fields.String(validate=Length(max=200), metadata={"description": "The `next` link's cursor."})


class FirmQuery(PageQuery):
    q = fields.String(validate=Length(max=300), metadata={"description": "Search words, as the directory's."})
    cluster = fields.String(validate=Length(max=80), metadata={"description": "A cluster's slug."})
    position = fields.String(validate=OneOf([p.value for p in Position], error=_CHOICE))
    province = fields.String(validate=Length(max=2), metadata={"description": "A province's code."})
    size = fields.String(validate=OneOf([s.value for s in FirmSize], error=_CHOICE))
    verified = fields.Boolean(metadata={"description": "Verified firms only."})


class RequestQuery(PageQuery):
    q = fields.String(validate=Length(max=300))
    cluster = fields.String(validate=Length(max=80))
    kind = fields.String(validate=OneOf([k.value for k in Kind], error=_CHOICE))
    position = fields.String(validate=OneOf([p.value for p in Position], error=_CHOICE))
    province = fields.String(validate=Length(max=2))
    status = fields.String(load_default="open", validate=OneOf(["open", "closed", "all"], error=_CHOICE))


class Bilingual(Schema):
    th = fields.String(allow_none=True)
    en = fields.String(allow_none=True)


class Province(Schema):
    code = fields.String()
    name_th = fields.String()
    name_en = fields.String()


class Cluster(Schema):
    slug = fields.String()
    name_th = fields.String()
    name_en = fields.String(allow_none=True)
    description_th = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)


class ClusterList(Schema):
    items = fields.List(fields.Nested(Cluster))


class FirmClusterMembership(Schema):
    slug = fields.String()
    name_th = fields.String()
    name_en = fields.String(allow_none=True)
    positions = fields.List(fields.String())


class Contacts(Schema):
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    line_id = fields.String(allow_none=True)


class Firm(Schema):
    id = fields.Integer()
    name_th = fields.String()
    name_en = fields.String(allow_none=True)
    province = fields.Nested(Province)
    size = fields.String()
    verified = fields.Boolean()
    description_th = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)
    products_th = fields.String(allow_none=True)
    products_en = fields.String(allow_none=True)
    website = fields.String(allow_none=True)


class FirmDetail(Firm):
    legal_form = fields.String()
    founded_year = fields.Integer(allow_none=True)
    clusters = fields.List(fields.Nested(FirmClusterMembership))
    contacts = fields.Nested(Contacts, allow_none=True,
                             metadata={"description": "Never to anonymous callers; see the firm page's rules."})


class FirmList(Schema):
    items = fields.List(fields.Nested(Firm))
    next = fields.String(allow_none=True)


class FirmRef(Schema):
    id = fields.Integer()
    name_th = fields.String()
    name_en = fields.String(allow_none=True)


class Request(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    title_th = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    details_th = fields.String(allow_none=True)
    details_en = fields.String(allow_none=True)
    quantity = fields.String(allow_none=True)
    budget_min = fields.String(allow_none=True, metadata={"description": "Baht, as a decimal string."})
    budget_max = fields.String(allow_none=True)
    cluster = fields.String(allow_none=True, metadata={"description": "A cluster's slug; null: open to all."})
    province = fields.String(allow_none=True, metadata={"description": "A province's code."})
    position_sought = fields.String(allow_none=True)
    expires_on = fields.Date()
    created_at = fields.DateTime()
    firm = fields.Nested(FirmRef)


class RequestList(Schema):
    items = fields.List(fields.Nested(Request))
    next = fields.String(allow_none=True)


class Results(Schema):
    fiscal_year = fields.Integer(metadata={"description": "Thai fiscal year (B.E.)."})
    members = fields.Integer()
    members_joined = fields.Integer()
    members_left = fields.Integer()
    requests_posted = fields.Integer()
    requests_answered = fields.Integer()
    requests_partnered = fields.Integer()
    value_confirmed = fields.String(metadata={"description": "Baht, as a decimal string."})
    value_by_kind = fields.Dict(keys=fields.String(), values=fields.String())


class Token(Schema):
    name = fields.String()
    scopes = fields.List(fields.String())
    expires_at = fields.DateTime()


class Me(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null for a service token."})
    name = fields.String()
    email = fields.String()
    locale = fields.String(allow_none=True)
    role = fields.String(metadata={"description": "member, staff, admin; service for a service token."})
    token = fields.Nested(Token)


class MyFirm(FirmRef):
    role = fields.String()


class MyFirmList(Schema):
    items = fields.List(fields.Nested(MyFirm))
    next = fields.String(allow_none=True)


class Membership(Schema):
    id = fields.Integer()
    firm_id = fields.Integer()
    cluster = fields.String()
    status = fields.String()
    positions = fields.List(fields.String())
    fiscal_year = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class MembershipList(Schema):
    items = fields.List(fields.Nested(Membership))
    next = fields.String(allow_none=True)


class Response(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    firm_id = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class ResponseList(Schema):
    items = fields.List(fields.Nested(Response))
    next = fields.String(allow_none=True)


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Invalid input: {location: {field: [messages]}}."})
