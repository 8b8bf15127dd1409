"""Collaboration requests: post, renew, close; respond, talk, decide. Authorised here, audited,
notified; flush-only (the view commits, and with it the notifications' e-mails).

    request:   open ──close(partnered | not fulfilled | withdrawn)──▶ closed
                 └──(its date passes; `flask requests expire` records it)──▶ closed (expired)
               closed(expired) ──renew──▶ open
    response:  open ──shortlist──▶ shortlisted ──accept──▶ accepted
                 │                     └──decline──▶ declined
                 ├──accept──▶ accepted      (a responder may withdraw while open or shortlisted)
                 └──decline──▶ declined
A request has at most one accepted response: its partner (a unique index says so in the database too).
Two people changing one request or response at the same moment: the change is flushed at once under
the row's version (`flush_or_conflict`); the second is rolled back (no audit row, no notification)
and told why.
"""
import logging
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import current_app, url_for
from flask_babel import LazyString
from sqlalchemy import func, select, update

from portal import audit
from portal.auth.models import User
from portal.collab import queries
from portal.collab.models import (  # noqa: F401  (Kind re-exported for callers building requests)
    DECISIONS,
    CloseReason,
    CollabRequest,
    Kind,
    Message,
    Outcome,
    OutcomeKind,
    RequestStatus,
    Response,
    ResponseStatus,
)
from portal.db import flush_or_conflict, flush_or_refuse, utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.models import Firm, FirmMember
from portal.firms.queries import team_members
from portal.following.services import announce
from portal.i18n import format_be_date, gettext
from portal.i18n import lazy_gettext as _l
from portal.notifications.services import bilingual, notify, register_kind
from portal.permissions import (
    can_close_request,
    can_confirm_outcome,
    can_decide_response,
    can_edit_request,
    can_manage_request,
    can_post_request,
    can_renew_request,
    can_respond,
    can_withdraw_response,
    writing_side,
)
from portal.thai import bangkok_today, fiscal_year
from portal.webhooks import services as webhooks

log = logging.getLogger(__name__)
R = ResponseStatus
ANOTHER_ACCEPTED = _l("Another response has already been accepted for this request.")
REQUEST_CHANGED = _l("Someone else changed this request at the same moment. Your change was not saved; "
                     "please check it and try again.")
VALUE_NEEDED = _l("Give the estimated value in baht and whether it saved cost or made sales.")
BUDGET_ORDER = _l("The lowest budget is higher than the highest.")
REQUEST_FIELDS = ("cluster_id", "kind", "position_sought", "title_th", "title_en", "details_th", "details_en",
                  "quantity", "budget_min", "budget_max", "province_id")


def _limit(firm_id: int, model, column, since, limit: int) -> None:
    count = db.session.scalar(select(func.count()).select_from(model).where(column == firm_id,
                                                                            model.created_at >= since))
    if count >= limit:
        raise RuleViolation(_l("Your firm has reached its limit for now. Please try again later."))


def check_dates(expires_on, today) -> None:
    """:raises RuleViolation: the closing date is past, or more than REQUEST_MAX_DAYS away."""
    if expires_on < today:
        raise RuleViolation(_l("The closing date cannot be in the past."), field="expires_on")
    if expires_on > today + timedelta(days=current_app.config["REQUEST_MAX_DAYS"]):
        raise RuleViolation(_l("A request can stay open for at most 12 months."), field="expires_on")


def _check_content(data: dict) -> None:
    if not (data.get("title_th") or data.get("title_en")):
        raise RuleViolation(_l("Give the request a title, in Thai or in English."), field="title_th")
    low, high = data.get("budget_min"), data.get("budget_max")
    if low is not None and high is not None and low > high:
        raise RuleViolation(BUDGET_ORDER, field="budget_max")


def value_too_high():
    """Why a reported value above OUTCOME_VALUE_MAX (config.py says why that bound) is refused; lazy, so
    that the limit is written in the language of the page that shows the message."""
    from portal.i18n import format_million_baht

    return LazyString(lambda: gettext(
        "A partnership is worth at most %(limit)s here. Check the amount (in baht); for a larger deal, please write "
        "to OSMEP staff.", limit=format_million_baht(current_app.config["OUTCOME_VALUE_MAX"])))


def post_request(actor: User, firm: Firm, data: dict, expires_on=None) -> CollabRequest:
    """:raises PermissionDenied: not the firm's team, not a member of the cluster, unconfirmed.
    :raises RuleViolation: no title, bad dates or budget, over the daily limit."""
    if not can_post_request(actor, firm, data.get("cluster_id")):
        raise PermissionDenied()
    today = bangkok_today()
    expires_on = expires_on or today + timedelta(days=current_app.config["REQUEST_DEFAULT_DAYS"])
    _check_content(data)
    check_dates(expires_on, today)
    _limit(firm.id, CollabRequest, CollabRequest.firm_id, utcnow() - timedelta(days=1),
           current_app.config["LIMIT_REQUESTS_PER_DAY"])
    request = CollabRequest(firm_id=firm.id, created_by_id=actor.id, expires_on=expires_on,
                            status=RequestStatus.OPEN, fiscal_year=fiscal_year(utcnow()),
                            **{k: data.get(k) for k in REQUEST_FIELDS})
    db.session.add(request)
    db.session.flush()
    audit.record(actor, "request.posted", request, firm_id=firm.id)
    announce("request.posted", request, actor)  # its followers hear of it from a worker, after the commit
    webhooks.emit("request.posted", request)
    return request


def update_request(actor: User, request: CollabRequest, data: dict, expires_on) -> None:
    if not can_manage_request(actor, request):
        raise PermissionDenied()
    if not can_edit_request(actor, request):
        raise RuleViolation(_l("This request is closed: it can no longer be edited."))
    if request.status is not RequestStatus.OPEN:
        raise RuleViolation(_l("A closed request cannot be changed."))
    firm = db.session.get(Firm, request.firm_id)
    if data.get("cluster_id") != request.cluster_id and not can_post_request(actor, firm, data.get("cluster_id")):
        raise PermissionDenied()
    _check_content(data)
    check_dates(expires_on, bangkok_today())
    for key in REQUEST_FIELDS:
        setattr(request, key, data.get(key))
    request.expires_on = expires_on
    flush_or_conflict(lambda: REQUEST_CHANGED)
    audit.record(actor, "request.updated", request)


def renew(actor: User, request: CollabRequest, expires_on=None) -> None:
    """Extend an open request, or reopen one that expired (not one closed on purpose)."""
    if not can_manage_request(actor, request):
        raise PermissionDenied()
    if not can_renew_request(actor, request):
        raise RuleViolation(_l("Only an open or expired request can be renewed."))
    today = bangkok_today()
    expires_on = expires_on or today + timedelta(days=current_app.config["REQUEST_DEFAULT_DAYS"])
    check_dates(expires_on, today)
    request.status, request.close_reason, request.closed_at = RequestStatus.OPEN, None, None
    request.expires_on = expires_on
    request.expiry_notified_at = None
    flush_or_conflict(lambda: REQUEST_CHANGED)
    audit.record(actor, "request.renewed", request, expires_on=expires_on.isoformat())


def close(actor: User, request: CollabRequest, reason: CloseReason, partner_firm_id: int | None = None,
          value: Decimal | None = None, outcome_kind: OutcomeKind | None = None) -> None:
    """Close as partnered (naming a responding firm, with the value in baht), not fulfilled or withdrawn."""
    if not can_manage_request(actor, request):
        raise PermissionDenied()
    if not can_close_request(actor, request):
        raise RuleViolation(_l("This request is already closed."))
    if reason is CloseReason.EXPIRED:
        raise RuleViolation(_l("Choose how the request ended."), field="reason")
    if reason is CloseReason.PARTNERED:
        if partner_firm_id not in {r.firm_id for r in queries.partner_candidates(request)}:
            raise RuleViolation(_l("Choose the partner among the firms that responded: the accepted one "
                                   "if you accepted a response, never one declined or withdrawn."),
                                field="partner_firm_id")
        if value is None or value < 0 or outcome_kind is None:
            raise RuleViolation(VALUE_NEEDED,
                                field="value" if value is None or value < 0 else "outcome_kind")
        if value > current_app.config["OUTCOME_VALUE_MAX"]:
            raise RuleViolation(value_too_high(), field="value")
        outcome = Outcome.of_request(request, partner_firm_id=partner_firm_id, value_baht=value,
                                     kind=outcome_kind, reported_by_id=actor.id, fiscal_year=fiscal_year(utcnow()))
        db.session.add(outcome)
    request.status, request.close_reason = RequestStatus.CLOSED, reason
    request.closed_at, request.closed_by_id = utcnow(), actor.id
    flush_or_conflict(lambda: REQUEST_CHANGED, unique=True)  # two closings: version, or the one outcome
    audit.record(actor, "request.closed", request, reason=reason.value,
                 value=str(value) if value is not None else None, partner_firm_id=partner_firm_id)
    webhooks.emit("request.closed", request)
    if reason is CloseReason.PARTNERED:
        poster = db.session.get(Firm, request.firm_id)
        notify(team_members(partner_firm_id), "request.partnered", request, **_params(request, poster))
        notify(confirmers(outcome), "outcome.to_confirm", outcome,
               **_params(request, db.session.get(Firm, partner_firm_id)), value=f"{outcome.value_baht:,.2f}",
               year=outcome.fiscal_year)


def confirmers(outcome: Outcome) -> list[User]:
    """Who is told that a reported value awaits confirmation: the coordinators of the outcome's cluster who
    may confirm it (can_confirm_outcome), and OSMEP staff when it is above their threshold or when no
    coordinator may confirm it (no cluster, or every coordinator is on one of the two firms' teams)."""
    from portal.admin.models import staff_confirmation_threshold
    from portal.clusters.models import Cluster
    from portal.memberships.services import cluster_managers

    cluster = db.session.get(Cluster, outcome.cluster_id) if outcome.cluster_id is not None else None
    coordinators = [u for u in cluster_managers(cluster) if can_confirm_outcome(u, outcome)] if cluster else []
    if coordinators and outcome.value_baht <= staff_confirmation_threshold():
        return coordinators
    staff = db.session.scalars(select(User).where(User.is_staff,
                                                  User.suspended_at.is_(None)))
    return coordinators + list(staff)


# --- responses and threads ----------------------------------------------------------------------

def respond(actor: User, request: CollabRequest, firm: Firm, message: str) -> Response:
    if not can_respond(actor, request, firm):
        raise PermissionDenied()
    if not (message or "").strip():
        raise RuleViolation(_l("Write a few words to the firm."))
    _limit(firm.id, Response, Response.firm_id, utcnow() - timedelta(days=1),
           current_app.config["LIMIT_RESPONSES_PER_DAY"])
    if db.session.scalar(select(Response.id).where(Response.request_id == request.id,
                                                   Response.firm_id == firm.id)) is not None:
        raise RuleViolation(_l("Your firm has already responded to this request."))
    response = Response(request_id=request.id, firm_id=firm.id, created_by_id=actor.id, status=R.OPEN)
    db.session.add(response)
    flush_or_refuse(_l("Your firm has already responded to this request."))
    db.session.add(Message(response_id=response.id, firm_id=firm.id, user_id=actor.id, body=message.strip()))
    audit.record(actor, "response.sent", response, request_id=request.id)
    notify(team_members(request.firm_id), "response.new", response, **_params(request, firm))
    return response


def send_message(actor: User, response: Response, body: str) -> Message:
    side = writing_side(actor, response)  # staff read threads; only the two firms write in them
    if side is None:
        raise PermissionDenied()
    if not (body or "").strip():
        raise RuleViolation(_l("The message is empty."))
    request = db.session.get(CollabRequest, response.request_id)
    _limit(side, Message, Message.firm_id, utcnow() - timedelta(hours=1), current_app.config["LIMIT_MESSAGES_PER_HOUR"])
    message = Message(response_id=response.id, firm_id=side, user_id=actor.id, body=body.strip())
    db.session.add(message)
    db.session.flush()
    other = request.firm_id if side == response.firm_id else response.firm_id
    notify(team_members(other), "message.new", response, **_params(request, db.session.get(Firm, side)))
    return message


def decide(actor: User, response: Response, to: ResponseStatus) -> None:
    """Shortlist, accept or decline a response (the posting firm); only one response is accepted."""
    if to not in DECISIONS or not can_decide_response(actor, response):
        raise PermissionDenied()
    if to is R.ACCEPTED and queries.accepted_elsewhere(response):  # asked before the change is made
        raise RuleViolation(ANOTHER_ACCEPTED)
    _move(response, to)
    response.decided_at = utcnow()
    flush_or_conflict(_meanwhile(response, to), unique=to is R.ACCEPTED)
    audit.record(actor, f"response.{to.value}", response)
    if to in (R.SHORTLISTED, R.ACCEPTED, R.DECLINED):
        request = db.session.get(CollabRequest, response.request_id)
        notify(team_members(response.firm_id), f"response.{to.value}", response,
               **_params(request, db.session.get(Firm, request.firm_id)))


def withdraw_response(actor: User, response: Response) -> None:
    if not can_withdraw_response(actor, response, now=False):
        raise PermissionDenied()
    _move(response, R.WITHDRAWN)
    flush_or_conflict(_meanwhile(response, R.WITHDRAWN))
    audit.record(actor, "response.withdrawn", response)


def _move(response: Response, to: ResponseStatus) -> None:
    if not response.can_move_to(to):
        raise RuleViolation(_l("This response is %(status)s: that change is not possible now.",
                               status=response.status.label))
    response.status = to


def _meanwhile(response: Response, to: ResponseStatus):
    """What the loser of a race is told, read after its rollback."""
    def message():
        if to is R.ACCEPTED and queries.accepted_elsewhere(response):
            return ANOTHER_ACCEPTED
        return _l("Someone else changed this response at the same moment (now: %(status)s). "
                  "Your change was not saved.", status=response.status.label)
    return message


def _params(request: CollabRequest, firm: Firm) -> dict:
    return {"firm": bilingual(firm), "request": bilingual(request, "title"), "request_id": request.id}


# --- expiry and digests (cron) ------------------------------------------------------------------

class ExpiryRun(NamedTuple):
    expired: int  # requests closed as expired
    warned: int  # posters warned that their request closes soon
    skipped: int  # changed by their poster while this ran (renewed, closed): left as the poster left them


def _update_if_still(request: CollabRequest, conditions: list, **values) -> bool:
    """Change the request only if `conditions` still hold in the database, in one UPDATE: its poster may
    have renewed or closed it since it was read, and then it is left alone (False). The row version moves
    on as with any change, so a poster's edit made from the old version is refused in its turn.
    (One statement rather than a savepoint per request: pysqlite commits on RELEASE SAVEPOINT.)"""
    done = db.session.execute(
        update(CollabRequest).where(CollabRequest.id == request.id, *conditions)
        .values(version_id=CollabRequest.version_id + 1, **values)
        .execution_options(synchronize_session=False))
    db.session.expire(request)
    return done.rowcount == 1


def expire_requests(today=None) -> ExpiryRun:
    """Record closures of requests past their date, and warn posters a week before."""
    today, now = today or bangkok_today(), utcnow()
    is_open = CollabRequest.status == RequestStatus.OPEN
    past = [is_open, CollabRequest.expires_on < today]
    closed = skipped = 0
    for request in db.session.scalars(select(CollabRequest).where(*past).order_by(CollabRequest.id)).all():
        if _update_if_still(request, past, status=RequestStatus.CLOSED, close_reason=CloseReason.EXPIRED,
                            closed_at=now):
            audit.record(None, "request.expired", request)
            webhooks.emit("request.closed", request)
            closed += 1
        else:
            log.info("request %s was changed by its poster while it expired; left as it is", request.id)
            skipped += 1
    soon = today + timedelta(days=current_app.config["REQUEST_EXPIRY_WARNING_DAYS"])
    closing_soon = [is_open, CollabRequest.expires_on <= soon, CollabRequest.expires_on >= today,
                    CollabRequest.expiry_notified_at.is_(None)]
    told = 0
    for request in db.session.scalars(select(CollabRequest).where(*closing_soon).order_by(CollabRequest.id)).all():
        if not _update_if_still(request, closing_soon, expiry_notified_at=now):
            log.info("request %s was changed by its poster before its warning; not warned", request.id)
            skipped += 1
            continue
        when = {locale: format_be_date(request.expires_on, "medium", locale=locale) for locale in ("th", "en")}
        notify(team_members(request.firm_id), "request.expiring", request,
               **{**_params(request, db.session.get(Firm, request.firm_id)), "date": when})
        told += 1
    db.session.flush()
    return ExpiryRun(closed, told, skipped)


def request_digests(now=None) -> int:
    """For users who opted in: one notification per firm naming how many new open requests fit it."""
    from portal.collab import suggestions

    now = now or utcnow()
    sent = 0
    users = db.session.scalars(select(User).where(User.wants_request_digest.is_(True), User.suspended_at.is_(None)))
    for user in users:
        since = user.last_request_digest_at or now - timedelta(days=1)
        for firm in db.session.scalars(select(Firm).join(FirmMember).where(FirmMember.user_id == user.id)):
            fitting = [r for r, _why in suggestions.requests_for(firm, limit=50) if r.created_at >= since]
            if fitting:
                notify([user], "request.digest", firm, firm=bilingual(firm), num=len(fitting), firm_id=firm.id)
                sent += 1
        user.last_request_digest_at = now
    db.session.flush()
    return sent


def _request_link(n):
    return url_for("collab.detail", request_id=n.params.get("request_id"))


def _thread_link(n):
    return url_for("collab.thread", response_id=n.target_id)


register_kind("response.new", _l("%(firm)s responded to your request “%(request)s”."), _thread_link)
register_kind("message.new", _l("New message from %(firm)s about “%(request)s”."), _thread_link)
register_kind("response.accepted", _l("%(firm)s accepted your response to “%(request)s”."), _thread_link)
register_kind("response.shortlisted", _l("%(firm)s shortlisted your response to “%(request)s”."), _thread_link)
register_kind("request.partnered", _l("%(firm)s closed “%(request)s” as partnered with your firm."),
              _request_link)
register_kind("outcome.to_confirm",
              _l("A partnership value of %(value)s baht (“%(request)s”, with %(firm)s) awaits your confirmation."),
              lambda n: url_for("results.outcomes", year=n.params.get("year")))
register_kind("outcome.followup_to_confirm",
              _l("%(firm)s answered a follow-up: an agreement of %(value)s baht with %(partner)s awaits your "
                 "confirmation."),
              lambda n: url_for("results.outcomes", year=n.params.get("year")))
register_kind("response.declined", _l("%(firm)s declined your response to “%(request)s”."), _thread_link)
register_kind("request.expiring", _l("Your request “%(request)s” closes on %(date)s. Renew it to keep it open."),
              _request_link)
register_kind("request.digest", _l("%(num)s new requests fit %(firm)s."),
              lambda n: url_for("collab.for_firm", firm_id=n.params.get("firm_id")))
