"""The programme's membership figures, kept counted (portal.admin.rollup maintains them), and the settings
OSMEP staff keep for the results.

Counting distinct firms over every membership took 0.2–0.7 s per dashboard at 300,000 memberships.
These two tables hold the same counts: which figures each firm counts in, and how many firms each
figure has; a third keeps each cluster's partner pairs (the scorecard's collaboration density) as they
change, a fourth each firm's spans of membership of each cluster, with its positions. All are derived
data: `flask results rebuild` recomputes them from the memberships and outcomes.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clusters.models import Position
from portal.db import UTCDateTime, utcnow
from portal.extensions import db

PROGRAMME = 0  # the scope of programme-wide figures; a positive scope is a cluster id, a negative one a ResultUnion

# What the figures count: firms that are members at the end of a fiscal year (ปีงบประมาณ, 1 Oct–30 Sep),
# so far for the year under way. A firm is a member at the end of year Y when one of its memberships was
# approved in Y or before and had not ended (left, removed) by the end of Y. Each dimension counts firms
# overall, by value-chain position (the membership's positions now) or by province (the firm's province now).
MEMBER = "member"  # bucket "" (one figure)
POSITION = "position"  # bucket: position code
PROVINCE = "province"  # bucket: province id
DIMENSIONS = (MEMBER, POSITION, PROVINCE)
# Kept as changes, per firm: "<dimension>+" in year Y when the firm is a member at the end of Y and was not at
# the end of Y-1; "<dimension>-" in the other direction. The members at the end of Y are then the sum of
# the "+" up to Y less the "-" up to Y (bucket "<year>" or "<year>:<position or province>").
JOINED, LEFT = "+", "-"
# The membership keys, written into the SQL as constants: the partial index ix_result_firm_keys_member is
# used only by a query whose WHERE holds this very term (SQLite matches it as written).
MEMBER_KEYS = f"dimension IN ('{MEMBER}{JOINED}', '{MEMBER}{LEFT}')"
# The request figures, kept in result_counts beside the members' (rows "firms" there count requests): requests
# posted in fiscal year Y (bucket "<year>", the year stored when posted), and those of them at least one firm
# responded to; scope PROGRAMME counts every request (open to all clusters too), a cluster's scope its own.
POSTED, ANSWERED = "posted", "answered"
REQUEST_DIMENSIONS = (POSTED, ANSWERED)
# The meeting figures, kept in result_counts too (bucket "<year>"): the meetings requested for the matching
# days of fiscal year Y (its first day's), and how many were held, were no-shows, continued (held, and either
# firm answered "continue") and led to an agreement (held, and the two firms reported an outcome with each
# other after the meeting's slot began): portal.scorecard.queries' definitions. Scope PROGRAMME counts every
# meeting once; a cluster's scope the meetings one of whose firms is its member at the end of Y, once.
MEETING_DIMENSIONS = ("meetings", "held", "no_show", "continued", "agreed")
# Each cluster's follow-up figures, kept in result_counts too (a cluster's scope, bucket "<year>"): the follow-up
# questions (portal/followup) sent in fiscal year Y (Bangkok dates) to firms that are its members at the end of
# Y, and how many of those were answered, whenever.
QUESTIONS, REPLIES = "questions", "replies"
FOLLOWUP_DIMENSIONS = (QUESTIONS, REPLIES)
# Each cluster's active members, kept in result_counts too (a cluster's scope, bucket the ISO date of a day): a
# member of a cluster at the end of fiscal year Y is active on a day D of Y when it posted a request, sent a
# response or had a meeting held (at its slot's start, or when marked, for a meeting with no slot) on one of the
# ACTIVE_DAYS Bangkok dates up to D. Kept as changes of the count on the days they happen, within each year:
# "act_from" on the first day of a stretch of days a member is active, "act_until" on the day after its last
# (none when that last day is the year's last), and the same again by month ("act_mfrom", "act_muntil", bucket
# the month, "YYYY-MM"). The active members on D are the changes of D's year up to D added up: the months before
# D's by month, D's month by day; a few thousand rows at most whatever the number of firms.
ACTIVE_FROM, ACTIVE_UNTIL = "act_from", "act_until"
ACTIVE_MONTH_FROM, ACTIVE_MONTH_UNTIL = "act_mfrom", "act_muntil"
ACTIVE_DIMENSIONS = (ACTIVE_FROM, ACTIVE_UNTIL, ACTIVE_MONTH_FROM, ACTIVE_MONTH_UNTIL)
ACTIVE_DAYS = 90
# Each cluster's network (the network map's totals), kept in result_counts too (a cluster's scope, bucket "<year>"):
# a link is a pair of firms, of one kind, that reported a partnership with each other (outcomes of a fiscal year)
# or had a meeting held on a matching day (the meeting's kept key), from the fiscal year of the first one on.
# For the members of a cluster at the end of Y: the sum of their links (LINK_DEGREE: each member's links to any
# firm), how many have at least one (LINK_LINKED), and the member ends of the links between two members
# (LINK_INSIDE: each such link twice); LINK_LANES counts those member ends again by the pair of value-chain lanes
# the two firms are drawn in, when those differ (bucket "<year>:<lane>-<lane>", lanes the positions' indexes).
# Kept as changes in the year they happen, per firm (ResultLinkKey): a figure at the end of Y is its changes up
# to Y added up. A cluster's links are then LINK_DEGREE - LINK_INSIDE / 2, those with firms outside it
# LINK_DEGREE - LINK_INSIDE, its isolated members its members less LINK_LINKED.
LINK_DEGREE, LINK_LINKED, LINK_INSIDE, LINK_LANES = "ln_degree", "ln_linked", "ln_inside", "ln_lanes"
LINK_DIMENSIONS = (LINK_DEGREE, LINK_LINKED, LINK_INSIDE, LINK_LANES)
# A set of value-chain positions as one number (ResultMemberSpan.positions): 1 << the position's index.
POSITION_BITS = {position.value: 1 << n for n, position in enumerate(Position)}


def lane_of(bits: int) -> int:
    """The lane a member with these positions (POSITION_BITS) is drawn in on the network map: its first
    position's index, or len(Position) for none recorded."""
    return (bits & -bits).bit_length() - 1 if bits else len(POSITION_BITS)


class ResultFirmKey(db.Model):
    """One figure one firm counts in, once however many memberships give it (a firm in two clusters
    counts once in the programme). No foreign keys: derived rows, removed by the rollup itself."""

    __tablename__ = "result_firm_keys"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    dimension: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(20), primary_key=True)
    firm_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    # The membership keys alone, by firm and cluster (partial): the scorecard's "which clusters were these
    # firms members of at the year's end" from the index alone, and every cluster's members grouped by
    # (firm, cluster) without a sort. Queries must write the same IN list (MEMBER_KEYS).
    __table_args__ = (Index("ix_result_firm_keys_firm", "firm_id"),
                      Index("ix_result_firm_keys_member", "firm_id", "scope", "dimension", "bucket",
                            postgresql_where=text(MEMBER_KEYS), sqlite_where=text(MEMBER_KEYS)))


class ResultPairKey(db.Model):
    """A change in one cluster's collaboration density, kept per pair of firms (portal.admin.rollup): +1 in
    the fiscal year from whose end the two firms are both members of the cluster and have reported a
    partnership with each other (that year or before), -1 in the year from whose end that no longer holds.
    A cluster's partner pairs at the end of year Y are the sum of its changes up to Y. Counting the pairs
    on the spot meant finding the clusters of 25,000 partnered firms at the year's end: 80 of the scorecard
    table's 210 ms of SQL on PostgreSQL at 100,000 firms. Derived rows, like ResultFirmKey."""

    __tablename__ = "result_pair_keys"

    cluster_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    low_firm_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # the lower id
    high_firm_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # B.E. fiscal year
    change: Mapped[int] = mapped_column(Integer)  # +1 or -1

    # A refresh finds a firm's pairs from either side.
    __table_args__ = (Index("ix_result_pair_keys_low", "low_firm_id"),
                      Index("ix_result_pair_keys_high", "high_firm_id"))


class ResultMemberSpan(db.Model):
    """A stretch of fiscal years over which a firm is a member of a cluster at each year's end, with the
    same value-chain positions throughout, kept by portal.admin.rollup from the firm's kept keys (it is what
    those keys say, read once): the members of a cluster at the end of year Y, with their positions, are
    the spans with first_year <= Y < ended_year, one row each, no grouping. Summing 75,000 keys per firm
    for the largest cluster's network map took 50–90 ms at 100,000 firms. Derived rows, like
    ResultFirmKey."""

    __tablename__ = "result_member_spans"

    cluster_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    firm_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # B.E. fiscal year
    ended_year: Mapped[int | None] = mapped_column(Integer)  # the first year-end it no longer holds; None: still
    positions: Mapped[int] = mapped_column(Integer)  # POSITION_BITS of the positions held; 0: none recorded

    # A cluster's members in a year from the index alone (the map); a firm's clusters in a year (the
    # scorecard's parts, the refresh).
    __table_args__ = (Index("ix_result_member_spans_cluster", "cluster_id", "first_year", "ended_year", "firm_id",
                            "positions"),
                      Index("ix_result_member_spans_firm", "firm_id", "cluster_id", "first_year", "ended_year"))


class ResultRequestKey(db.Model):
    """What one collaboration request counts in (portal.admin.rollup keeps it as requests and responses
    change): the request figures of the dashboard, /results and the scorecards read kept counts rather than
    count a year's requests and probe each one's responses (25 of the programme dashboard's 36 ms of SQL on
    PostgreSQL at 200,000 requests, ten times that at 2,000,000). Derived rows, like ResultFirmKey."""

    __tablename__ = "result_request_keys"

    request_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cluster_id: Mapped[int] = mapped_column(Integer)  # 0: open to all clusters
    year: Mapped[int] = mapped_column(Integer)  # the B.E. fiscal year it was posted in
    answered: Mapped[bool] = mapped_column(Boolean)  # at least one firm responded


class ResultMeetingKey(db.Model):
    """What one meeting request counts in among the meeting figures (portal.admin.rollup keeps it as
    meetings, their matching days and slots, the two firms' outcomes and their memberships change): /results
    and the scorecards read kept counts rather than join a year's meetings to their days, slots and outcomes
    (27 ms on PostgreSQL at 50,000 meetings, the whole tables read, and ten times that at 500,000), and
    each cluster's to its members at the year's end (116 ms more). Derived rows, like ResultFirmKey."""

    __tablename__ = "result_meeting_keys"

    request_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # a MeetingRequest
    year: Mapped[int] = mapped_column(Integer)  # the B.E. fiscal year of its matching day
    held: Mapped[bool] = mapped_column(Boolean)
    no_show: Mapped[bool] = mapped_column(Boolean)
    continued: Mapped[bool] = mapped_column(Boolean)
    agreed: Mapped[bool] = mapped_column(Boolean)
    # The clusters it counts in too: those one of its two firms is a member of at the end of `year` (the kept
    # spans), ids in ascending order joined by commas ("" for none). Recounted when a firm's spans change.
    clusters: Mapped[str] = mapped_column(String, default="", server_default="")


class ResultFollowUpKey(db.Model):
    """What one follow-up question counts in among each cluster's follow-up figures (portal.admin.rollup keeps
    it as questions are sent, answered or deleted and as their firm's memberships change): the scorecards
    read kept counts rather than join a year's questions to their firms' spans (11 ms on PostgreSQL at
    100,000 firms and 35,000 questions, growing with both). Derived rows, like ResultFirmKey."""

    __tablename__ = "result_followup_keys"

    followup_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # a FollowUp, sent
    year: Mapped[int] = mapped_column(Integer)  # the B.E. fiscal year it was sent in (Bangkok dates)
    answered: Mapped[bool] = mapped_column(Boolean)
    # The clusters its firm is a member of at the end of `year` (the kept spans), as ResultMeetingKey.clusters.
    clusters: Mapped[str] = mapped_column(String, default="", server_default="")


class ResultActivityKey(db.Model):
    """What one firm counts in among each cluster's active members (ACTIVE_DIMENSIONS; portal.admin.rollup keeps
    it as the firm posts requests, responds, has meetings held and changes memberships): the scorecards add up
    kept changes rather than find the firms active in a window and their clusters (23–33 ms of the scorecard
    table's 50 on PostgreSQL at 100,000 firms, growing with the programme's activity). Derived rows, like
    ResultFirmKey."""

    __tablename__ = "result_activity_keys"

    firm_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Each stretch of days the firm is active within one fiscal year in which it is a member of some cluster at
    # the year's end: "<year>:<cluster ids joined by commas>:<first day>:<last day>" (ISO dates), joined by ";".
    stretches: Mapped[str] = mapped_column(String, default="", server_default="")


class ResultLinkKey(db.Model):
    """What one firm counts in among each cluster's network figures (LINK_DIMENSIONS; portal.admin.rollup keeps it
    as the firm and its partners report partnerships, have meetings held and change memberships), and its links
    for the network map's choice of the best-linked members: the largest cluster's map read every partnership
    and held meeting of the programme to count and rank its members' links (1.1 s on SQLite, 1.3 s on
    PostgreSQL at 1,000,000 firms). Derived rows, like ResultFirmKey."""

    __tablename__ = "result_link_keys"

    firm_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    degree: Mapped[int] = mapped_column(Integer)  # its links of every year: the most it has at any year's end
    # Its links at the end of each year they grew in, "<year>:<links>" joined by commas, ascending.
    degrees: Mapped[str] = mapped_column(String, default="", server_default="")
    # The changes it makes to its clusters' network figures: "<cluster id> <dimension> <bucket> <change>"
    # joined by ";" (portal.admin.rollup.link_keys_of).
    counts: Mapped[str] = mapped_column(String, default="", server_default="")

    # The firms by their links, most first: a large cluster's best-linked members are among the first few
    # hundred (portal.scorecard.network).
    __table_args__ = (Index("ix_result_link_keys_degree", "degree", "firm_id"),)


class ResultCount(db.Model):
    """How many firms count in one figure: the number of ResultFirmKey rows with the same key; for the
    request dimensions (REQUEST_DIMENSIONS), how many requests (ResultRequestKey rows), and for the meeting
    dimensions (MEETING_DIMENSIONS), how many meeting requests (ResultMeetingKey rows); for the follow-up
    dimensions (FOLLOWUP_DIMENSIONS), how many questions (ResultFollowUpKey rows); for the others (ACTIVE_DIMENSIONS,
    LINK_DIMENSIONS), the changes their kept rows make."""

    __tablename__ = "result_counts"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    dimension: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(20), primary_key=True)
    firms: Mapped[int] = mapped_column(Integer, default=0)

    # A year's figures of one kind for every cluster (the scorecards' meetings and follow-ups, the requests by
    # cluster) in a few entries, not a scan of every figure (31,000 rows, 4 ms on PostgreSQL at 100,000 firms).
    __table_args__ = (Index("ix_result_counts_dimension_bucket", "dimension", "bucket", "scope"),)


class ResultUnion(db.Model):
    """A set of clusters whose figures are kept counted together, a firm in several of them once (the
    dashboard of a coordinator of several clusters). Its counts are result_counts rows with scope -id;
    no per-firm keys: the rollup merges a firm's keys in those clusters when it refreshes the firm.
    Added the first time the set is asked for, kept up to date from then on."""

    __tablename__ = "result_unions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_ids: Mapped[str] = mapped_column(String(400), unique=True)  # "3,7,12": sorted, comma-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResultsSettings(db.Model):
    """The results settings OSMEP staff change on a page: one row (id 1), written when first changed; until
    then the config defaults apply. Typed columns, one per setting; every change is audited."""

    __tablename__ = "results_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # A reported partnership value above this (baht) is confirmed by OSMEP staff only, never by a coordinator.
    staff_confirmation_above: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


SETTINGS_ID = 1  # the one row of results_settings


def staff_confirmation_threshold() -> Decimal:
    """The value in baht above which only OSMEP staff confirm a reported partnership: as staff last set
    it, or the config default. The row comes from the session's identity map after the first read, so a
    change made earlier in the same transaction is seen."""
    from flask import current_app

    settings = db.session.get(ResultsSettings, SETTINGS_ID)
    return (settings.staff_confirmation_above if settings is not None
            else current_app.config["STAFF_CONFIRMATION_ABOVE_DEFAULT"])
