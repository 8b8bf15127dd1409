"""Collaboration requests (คำขอความร่วมมือ), the responses firms send, their private threads, and outcomes."""
import enum
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clusters.models import Position
from portal.db import HideableMixin, TimestampMixin, UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import Bilingual
from portal.i18n import lazy_gettext as _l
from portal.search import record_fields


class Aim(enum.Enum):
    """OSMEP's Connext aims, plus supply chain and knowledge."""

    FINANCE = "finance"
    COST = "cost"
    MARKET = "market"
    SUPPLY_CHAIN = "supply_chain"
    KNOWLEDGE = "knowledge"

    @cached_property
    def label(self):
        return {
            Aim.FINANCE: _l("Access to finance"),
            Aim.COST: _l("Lower cost and higher efficiency"),
            Aim.MARKET: _l("Wider market channels"),
            Aim.SUPPLY_CHAIN: _l("Supply chain"),
            Aim.KNOWLEDGE: _l("Knowledge and technology"),
        }[self]


class Kind(enum.Enum):
    CO_INVESTMENT = "co_investment"
    JOINT_FINANCE_APPLICATION = "joint_finance_application"
    JOINT_PURCHASING = "joint_purchasing"
    SHARED_EQUIPMENT = "shared_equipment"
    SHARED_LOGISTICS = "shared_logistics"
    JOINT_SELLING = "joint_selling"
    TRADE_FAIR = "trade_fair"
    CO_BRANDING = "co_branding"
    SEEKING_SUPPLIER = "seeking_supplier"
    SEEKING_BUYERS = "seeking_buyers"
    SEEKING_PROCESSOR = "seeking_processor"
    KNOWLEDGE = "knowledge"

    @property
    def aim(self) -> Aim:
        return KIND_AIMS[self]

    # Every enum's labels are kept once built (cached_property): they are lazy texts, translated each time they are
    # read, so one object serves both languages. Built again on each read, a board page's 32 kind labels made 384
    # lazy texts and dicts, about 7 µs a label.
    @cached_property
    def label(self):
        return {
            Kind.CO_INVESTMENT: _l("Co-investment"),
            Kind.JOINT_FINANCE_APPLICATION: _l("Joint loan or grant application"),
            Kind.JOINT_PURCHASING: _l("Joint purchasing"),
            Kind.SHARED_EQUIPMENT: _l("Shared equipment or facility"),
            Kind.SHARED_LOGISTICS: _l("Shared logistics"),
            Kind.JOINT_SELLING: _l("Joint selling or export"),
            Kind.TRADE_FAIR: _l("Trade-fair booth"),
            Kind.CO_BRANDING: _l("Co-branding"),
            Kind.SEEKING_SUPPLIER: _l("Seeking a supplier"),
            Kind.SEEKING_BUYERS: _l("Seeking buyers"),
            Kind.SEEKING_PROCESSOR: _l("Seeking a processing partner"),
            Kind.KNOWLEDGE: _l("Knowledge or technology"),
        }[self]


KIND_AIMS = {
    Kind.CO_INVESTMENT: Aim.FINANCE, Kind.JOINT_FINANCE_APPLICATION: Aim.FINANCE,
    Kind.JOINT_PURCHASING: Aim.COST, Kind.SHARED_EQUIPMENT: Aim.COST, Kind.SHARED_LOGISTICS: Aim.COST,
    Kind.JOINT_SELLING: Aim.MARKET, Kind.TRADE_FAIR: Aim.MARKET, Kind.CO_BRANDING: Aim.MARKET,
    Kind.SEEKING_SUPPLIER: Aim.SUPPLY_CHAIN, Kind.SEEKING_BUYERS: Aim.SUPPLY_CHAIN,
    Kind.SEEKING_PROCESSOR: Aim.SUPPLY_CHAIN, Kind.KNOWLEDGE: Aim.KNOWLEDGE,
}


class RequestStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"

    @cached_property
    def label(self):
        return {RequestStatus.OPEN: _l("Open"), RequestStatus.CLOSED: _l("Closed")}[self]


class CloseReason(enum.Enum):
    PARTNERED = "partnered"
    NOT_FULFILLED = "not_fulfilled"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @cached_property
    def label(self):
        return {
            CloseReason.PARTNERED: _l("Partnered"),
            CloseReason.NOT_FULFILLED: _l("Not fulfilled"),
            CloseReason.WITHDRAWN: _l("Withdrawn"),
            CloseReason.EXPIRED: _l("Expired"),
        }[self]


class CollabRequest(HideableMixin, TimestampMixin, db.Model):
    """A firm asks for (or offers) a collaboration, in one cluster or open to all clusters."""

    __tablename__ = "collab_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))  # None: open to all clusters
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    position_sought: Mapped[Position | None] = mapped_column(enum_column(Position))  # None: any position
    title_th: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    details_th: Mapped[str | None] = mapped_column(Text)
    details_en: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[str | None] = mapped_column(String(120))
    budget_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    budget_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus), default=RequestStatus.OPEN)
    close_reason: Mapped[CloseReason | None] = mapped_column(enum_column(CloseReason))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fiscal_year: Mapped[int | None] = mapped_column(Integer)  # ปีงบประมาณ (B.E.) in which it was posted
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    words_name: Mapped[str] = mapped_column(Text, default="", server_default="")  # title, then quantity and details
    words_products: Mapped[str] = mapped_column(Text, default="", server_default="")
    words_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")  # optimistic lock, see Membership

    firm: Mapped["Firm"] = relationship(lazy="raise_on_sql")  # noqa: F821
    cluster: Mapped["Cluster | None"] = relationship(lazy="raise_on_sql")  # noqa: F821

    title = Bilingual("title")
    details = Bilingual("details")

    __table_args__ = (
        Index("ix_collab_requests_board", "status", "expires_on", "id"),
        Index("ix_collab_requests_created", "created_at", "id", "firm_id"),  # the board newest first
        # A cluster's open board, counted and sorted from the index alone (hidden, the firm, the date): migration
        # e9a1c3d5f7b2
        Index("ix_collab_requests_cluster_board", "cluster_id", "status", "expires_on", "hidden_at", "firm_id",
              "created_at"),
        Index("ix_collab_requests_fiscal_year", "fiscal_year", "cluster_id", "id"),  # id: answered, from the index
    )
    __mapper_args__ = {"version_id_col": version_id}

    def is_open_on(self, day: date) -> bool:
        """Open, and not past its date: after its date it never shows as open, even before the
        expiry command has recorded the closure."""
        return self.status is RequestStatus.OPEN and self.expires_on >= day

    @property
    def is_renewable(self) -> bool:
        """An open request is extended; one that expired is reopened; one closed on purpose stays closed."""
        return self.status is RequestStatus.OPEN or self.close_reason is CloseReason.EXPIRED


@event.listens_for(CollabRequest, "before_insert")
@event.listens_for(CollabRequest, "before_update")
def _request_search_text(mapper, connection, request):
    for key, value in request_search_fields(request).items():
        setattr(request, key, value)


def request_search_fields(request) -> dict:
    """The derived search columns of a request (or a dict of its values): its title ranks as a firm's name,
    the quantity as products, the details as a description."""
    get = request.get if isinstance(request, dict) else lambda key: getattr(request, key)
    return record_fields(name=(get("title_th"), get("title_en")), products=(get("quantity"),),
                         body=(get("details_th"), get("details_en")))


class ResponseStatus(enum.Enum):
    OPEN = "open"
    SHORTLISTED = "shortlisted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @cached_property
    def label(self):
        return {
            ResponseStatus.OPEN: _l("Waiting"),
            ResponseStatus.SHORTLISTED: _l("Shortlisted"),
            ResponseStatus.ACCEPTED: _l("Accepted"),
            ResponseStatus.DECLINED: _l("Declined"),
            ResponseStatus.WITHDRAWN: _l("Withdrawn"),
        }[self]


# How a response moves on: the posting firm shortlists, accepts or declines it; the responding firm withdraws
# it. Declined, withdrawn and accepted are final.
RESPONSE_TRANSITIONS = frozenset({
    (ResponseStatus.OPEN, ResponseStatus.SHORTLISTED), (ResponseStatus.OPEN, ResponseStatus.ACCEPTED),
    (ResponseStatus.OPEN, ResponseStatus.DECLINED), (ResponseStatus.OPEN, ResponseStatus.WITHDRAWN),
    (ResponseStatus.SHORTLISTED, ResponseStatus.ACCEPTED), (ResponseStatus.SHORTLISTED, ResponseStatus.DECLINED),
    (ResponseStatus.SHORTLISTED, ResponseStatus.WITHDRAWN),
})
DECISIONS = (ResponseStatus.SHORTLISTED, ResponseStatus.ACCEPTED, ResponseStatus.DECLINED)  # the poster's


class Response(HideableMixin, TimestampMixin, db.Model):
    """A firm's expression of interest in a request; its messages form a private thread."""

    __tablename__ = "collab_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("collab_requests.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    status: Mapped[ResponseStatus] = mapped_column(enum_column(ResponseStatus), default=ResponseStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")  # optimistic lock, see Membership

    request: Mapped[CollabRequest] = relationship(lazy="raise_on_sql")
    firm: Mapped["Firm"] = relationship(lazy="raise_on_sql")  # noqa: F821

    __table_args__ = (
        UniqueConstraint("request_id", "firm_id"),
        Index("ix_collab_responses_request", "request_id"),
        # A request has at most one accepted response (its partner): the database says so too, so two
        # acceptances at the same moment cannot both be written.
        Index("uq_collab_responses_accepted", "request_id", unique=True,
              sqlite_where=db.text("status = 'accepted'"), postgresql_where=db.text("status = 'accepted'")),
    )
    __mapper_args__ = {"version_id_col": version_id}

    def can_move_to(self, to: ResponseStatus) -> bool:
        return (self.status, to) in RESPONSE_TRANSITIONS

    @property
    def is_closed(self) -> bool:
        """Declined or withdrawn: its conversation is over (an accepted one goes on)."""
        return self.status in (ResponseStatus.DECLINED, ResponseStatus.WITHDRAWN)


class Message(HideableMixin, db.Model):
    __tablename__ = "collab_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("collab_responses.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))  # the side that wrote it
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_collab_messages_response", "response_id", "id"),
                      Index("ix_collab_messages_firm_created", "firm_id", "created_at"))


class OutcomeKind(enum.Enum):
    COST_SAVED = "cost_saved"
    NEW_SALES = "new_sales"

    @cached_property
    def label(self):
        return {OutcomeKind.COST_SAVED: _l("Cost saved"), OutcomeKind.NEW_SALES: _l("New sales")}[self]


class Confirmation(enum.Enum):
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    QUERIED = "queried"

    @cached_property
    def label(self):
        return {Confirmation.UNCONFIRMED: _l("Not yet confirmed"), Confirmation.CONFIRMED: _l("Confirmed"),
                Confirmation.QUERIED: _l("Queried")}[self]


class Outcome(TimestampMixin, db.Model):
    """What a collaboration achieved, in baht, as its firm reported it (coordinators confirm later): the
    poster's report when closing a request as partnered (request_id), or a firm's answer "agreement reached"
    to a follow-up question six months after a meeting or a partnership (followup_id). Both kinds are the
    same record for the dashboard, the scorecard and the network map, which read the firm, the partner,
    the cluster and the aim from here rather than from a request."""

    __tablename__ = "collab_outcomes"
    # By firm, then partner and time: "did these two firms report an outcome with each other after the
    # meeting?" (the scorecard's agreements) is one probe of the index alone, per direction.
    # The partner's index: the results rollup finds a firm's partnerships from either side (admin.rollup).
    # A year's outcomes by cluster, with what the dashboard and the scorecards add up of them, from the index
    # alone and in cluster order (dashboard.figures, scorecard.queries._request_funnels): SQLite grouped the
    # table in cluster order and tested the year of every outcome (156 ms at 1,000,000 firms).
    __table_args__ = (Index("ix_collab_outcomes_firm_id", "firm_id", "partner_firm_id", "created_at"),
                      Index("ix_collab_outcomes_partner", "partner_firm_id", "firm_id"),
                      Index("ix_collab_outcomes_fiscal_year", "fiscal_year", "cluster_id", "confirmation", "aim",
                            "kind", "request_id", "value_baht"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("collab_requests.id"), unique=True)
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id"), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))  # the firm that reported it
    partner_firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    # The cluster whose coordinators confirm it and whose figures count it (None: open to all clusters).
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    aim: Mapped[Aim] = mapped_column(enum_column(Aim))
    value_baht: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    kind: Mapped[OutcomeKind] = mapped_column(enum_column(OutcomeKind))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    fiscal_year: Mapped[int | None] = mapped_column(Integer)  # B.E. year the partnership was reported
    confirmation: Mapped[Confirmation] = mapped_column(enum_column(Confirmation), default=Confirmation.UNCONFIRMED,
                                                       server_default=Confirmation.UNCONFIRMED.value)
    confirmation_note: Mapped[str | None] = mapped_column(Text)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    firm: Mapped["Firm"] = relationship(foreign_keys=[firm_id], lazy="raise_on_sql")  # noqa: F821
    partner_firm: Mapped["Firm"] = relationship(foreign_keys=[partner_firm_id], lazy="raise_on_sql")  # noqa: F821

    @classmethod
    def of_request(cls, request: "CollabRequest", **values) -> "Outcome":
        """The outcome of closing `request` as partnered: reported by its poster, in its cluster, for the
        aim of its kind."""
        return cls(request_id=request.id, firm_id=request.firm_id, cluster_id=request.cluster_id,
                   aim=request.kind.aim, **values)

    @property
    def is_followup(self) -> bool:
        return self.followup_id is not None
