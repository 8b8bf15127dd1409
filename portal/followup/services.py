"""Follow-up questions: created when due, sent to the firm's team in each member's language (by e-mail,
and on LINE to members who linked LINE, as each chose on the notification settings page), reminded after
7 and 21 days, then left; answered once through a link that needs no sign-in.

Like the other services: rules first, flush only, audit, mail through the outbox; the caller commits.
The link's secret is never stored: it is HMAC(SECRET_KEY, a random salt kept on the row), and the row
keeps only its sha256, so the renderer can rebuild it for each mail and a lookup finds the row by hash.
"""
import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import case, exists, or_, select, update

from portal import audit
from portal.auth.models import User
from portal.collab.models import Aim, CloseReason, CollabRequest, Outcome, OutcomeKind
from portal.db import utcnow
from portal.events.models import Meeting, MeetingRequest, MeetingState, Registration
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.queries import team_members
from portal.followup.models import FollowUp, Source, Stage
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.line.messages import register_line
from portal.notifications.services import register_direct
from portal.outbox.services import Email, enqueue_email, register_email
from portal.thai import fiscal_year

log = logging.getLogger(__name__)
ASK = "followup.ask"  # the question's kind: its e-mail, its LINE message, the user's channel choice
REMINDER_DAYS = (7, 21)  # after the first mail, without an answer; then no more automatic mail
VALUE_NEEDED = _l("For an agreement, give its value in baht, whether it saved cost or made sales, and its aim.")
VALUE_POSITIVE = _l("The value must be more than zero baht.")


# --- the link -------------------------------------------------------------------------------------

def token_of(followup: FollowUp) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"followup:{followup.token_salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new(**values) -> FollowUp:
    followup = FollowUp(token_salt=secrets.token_urlsafe(32), **values)
    followup.token_hash = _hash(token_of(followup))
    return followup


class LinkGone(Exception):
    """The link was used already or has expired (410); an unknown link is a plain 404."""


def find_by_token(token: str, now=None) -> FollowUp | None:
    """The follow-up a link opens. :raises LinkGone: answered already, or expired."""
    if not token or len(token) > 100:
        return None
    followup = db.session.scalar(select(FollowUp).where(FollowUp.token_hash == _hash(token)))
    if followup is None or followup.sent_at is None:
        return None
    if followup.answered_at is not None or (followup.expires_at and followup.expires_at <= (now or utcnow())):
        raise LinkGone()
    return followup


# --- creating and sending (the periodic job) ------------------------------------------------------

@dataclass
class Run:
    created: int = 0
    sent: int = 0
    reminded: int = 0


def create_due(now=None) -> int:
    """A question per firm for every source older than FOLLOWUP_DELAY_DAYS that has none yet: a held
    meeting, for each side that said it wanted to continue; a partnered request, for the poster and the
    partner named in its outcome. Sources already asked are left out in SQL (NOT EXISTS), so a daily run
    reads only what is new."""
    now = now or utcnow()
    delay = timedelta(days=current_app.config["FOLLOWUP_DELAY_DAYS"])
    rows = []
    sender, receiver = db.aliased(Registration), db.aliased(Registration)
    for asked, other, goes_on in ((sender, receiver, Meeting.sender_continues),
                                  (receiver, sender, Meeting.receiver_continues)):
        rows += [(Source.MEETING, meeting_id, firm_id, other_id, held_at + delay)
                 for meeting_id, held_at, firm_id, other_id in db.session.execute(
                     select(Meeting.id, Meeting.marked_at, asked.firm_id, other.firm_id)
                     .join(MeetingRequest, MeetingRequest.id == Meeting.request_id)
                     .join(sender, sender.id == MeetingRequest.from_registration_id)
                     .join(receiver, receiver.id == MeetingRequest.to_registration_id)
                     .where(Meeting.state == MeetingState.HELD, Meeting.marked_at <= now - delay, goes_on.is_(True),
                            ~exists().where(FollowUp.meeting_id == Meeting.id, FollowUp.firm_id == asked.firm_id)))]
    poster, partner = CollabRequest.firm_id, Outcome.partner_firm_id
    for asked, other in ((poster, partner), (partner, poster)):
        rows += [(Source.REQUEST, request_id, firm_id, other_id, closed_at + delay)
                 for request_id, closed_at, firm_id, other_id in db.session.execute(
                     select(CollabRequest.id, CollabRequest.closed_at, asked, other)
                     .join(Outcome, Outcome.request_id == CollabRequest.id)
                     .where(CollabRequest.close_reason == CloseReason.PARTNERED, CollabRequest.closed_at <= now - delay,
                            ~exists().where(FollowUp.request_id == CollabRequest.id, FollowUp.firm_id == asked)))]
    for source, source_id, firm_id, other_id, due_at in rows:
        link = {"meeting_id": source_id} if source is Source.MEETING else {"request_id": source_id}
        db.session.add(_new(source=source, firm_id=firm_id, other_firm_id=other_id, due_at=due_at, **link))
    db.session.flush()
    return len(rows)


def _mail(followup: FollowUp, reminder: int) -> int:
    """The question to each member of the firm's team, in that member's language, on the channels they
    chose for "followup.ask" (default: e-mail and LINE). LINE goes only to members LINE can reach; one who
    chose LINE alone but cannot be reached is mailed instead, so nobody who wants the question misses it.
    Returns how many members were asked (by either channel)."""
    from portal.line.messaging import enqueue_line, reachable
    from portal.notifications.preferences import for_kind

    team = team_members(followup.firm_id, active_only=True)
    chosen = for_kind([user.id for user in team], ASK)
    on_line = reachable([user.id for user in team])
    asked = 0
    for user in team:
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        by_email, by_line = chosen[user.id]
        by_line = by_line and user.id in on_line
        by_email = by_email or (chosen[user.id][1] and not by_line)
        if by_email:
            enqueue_email(ASK, user.email, locale, user_id=user.id, followup=followup.id, reminder=reminder)
        if by_line:
            enqueue_line(ASK, on_line[user.id], locale, user_id=user.id, followup=followup.id,
                         reminder=reminder, emailed=by_email)
        asked += by_email or by_line
    return asked


def send_due(now=None) -> Run:
    """Create what is due, send what was never sent, remind after 7 and 21 days unanswered. Each step is
    recorded on the row before its mail is queued (same transaction), so a second run sends nothing twice."""
    now = now or utcnow()
    run = Run(created=create_due(now))
    link_days = timedelta(days=current_app.config["FOLLOWUP_LINK_DAYS"])
    for followup in db.session.scalars(select(FollowUp).where(FollowUp.sent_at.is_(None), FollowUp.due_at <= now)
                                       .order_by(FollowUp.id)).all():
        followup.sent_at, followup.expires_at = now, now + link_days
        _mail(followup, reminder=0)
        run.sent += 1
    for number, days in enumerate(REMINDER_DAYS, start=1):
        for followup in db.session.scalars(
                select(FollowUp).where(FollowUp.answered_at.is_(None), FollowUp.reminders == number - 1,
                                       FollowUp.sent_at <= now - timedelta(days=days)).order_by(FollowUp.id)).all():
            if followup.expires_at and followup.expires_at <= now:
                continue
            followup.reminders, followup.reminded_at = number, now
            _mail(followup, reminder=number)
            run.reminded += 1
    db.session.flush()
    if run.created or run.sent or run.reminded:
        audit.record(None, "followup.sent", None, created=run.created, sent=run.sent, reminded=run.reminded)
    return run


# --- answering ------------------------------------------------------------------------------------

def answer(followup: FollowUp, stage: Stage, value: Decimal | None = None, kind: OutcomeKind | None = None,
           aim: Aim | None = None, now=None) -> FollowUp:
    """Record the firm's answer, once. An agreement needs a positive value (at most OUTCOME_VALUE_MAX), its
    kind and its aim; other stages carry none.

    :raises RuleViolation: missing or impossible values, or answered meanwhile.
    """
    from portal.collab.services import value_too_high

    if stage is Stage.AGREEMENT:
        if value is None or kind is None or aim is None:
            raise RuleViolation(VALUE_NEEDED, field="value" if value is None else ("kind" if kind is None else "aim"))
        if value <= 0:
            raise RuleViolation(VALUE_POSITIVE, field="value")
        if value > current_app.config["OUTCOME_VALUE_MAX"]:
            raise RuleViolation(value_too_high(), field="value")
    else:
        value = kind = aim = None
    now = now or utcnow()
    # Conditional: of two submissions at once, the second changes nothing.
    taken = db.session.execute(
        update(FollowUp).where(FollowUp.id == followup.id, FollowUp.answered_at.is_(None))
        .values(answered_at=now, stage=stage, value_baht=value, kind=kind, aim=aim)
        .execution_options(synchronize_session=False)).rowcount
    if not taken:
        raise RuleViolation(_l("This question has been answered already."))
    db.session.refresh(followup)
    audit.record(None, "followup.answered", followup, stage=stage.value,
                 value=str(value) if value is not None else None)
    if stage is Stage.AGREEMENT:
        _record_outcome(followup, now)
    log.info("follow-up %s answered: %s", followup.id, stage.value)
    return followup


def _record_outcome(followup: FollowUp, now) -> Outcome | None:
    """An agreement answered becomes an outcome like a partnership's: unconfirmed, counted by the dashboard,
    the scorecard and the map, and confirmed or queried by the coordinators (or staff) who confirm the
    others. None when the other firm is gone (its row was deleted): there is no pair to count."""
    from portal.collab.services import confirmers
    from portal.notifications.services import bilingual, notify

    if followup.other_firm_id is None:
        return None
    outcome = Outcome(followup_id=followup.id, firm_id=followup.firm_id, partner_firm_id=followup.other_firm_id,
                      cluster_id=outcome_cluster(followup), aim=followup.aim, value_baht=followup.value_baht,
                      kind=followup.kind, fiscal_year=fiscal_year(now))
    db.session.add(outcome)
    db.session.flush()
    audit.record(None, "outcome.reported", outcome, followup_id=followup.id, value=str(outcome.value_baht))
    notify(confirmers(outcome), "outcome.followup_to_confirm", outcome, firm=bilingual(followup.firm),
           partner=bilingual(followup.other_firm), value=f"{outcome.value_baht:,.2f}", year=outcome.fiscal_year)
    return outcome


def outcome_cluster(followup: FollowUp) -> int | None:
    """The cluster an agreement counts in and whose coordinators confirm it: a partnership's request's
    cluster; for a meeting, a cluster of the matching day (any, when it was open to all) that the answering
    firm is an approved member of, preferring one the other firm is also in, the lowest id among equals.
    None when there is none: then OSMEP staff confirm it, as for a request open to all clusters."""
    from portal.clusters.models import Membership, MembershipStatus
    from portal.events.models import event_clusters

    if followup.source is Source.REQUEST:
        return db.session.scalar(select(CollabRequest.cluster_id).where(CollabRequest.id == followup.request_id))
    event_id = select(Meeting.event_id).where(Meeting.id == followup.meeting_id).scalar_subquery()
    of_event = select(event_clusters.c.cluster_id).where(event_clusters.c.event_id == event_id)
    mine = db.aliased(Membership, name="mine")
    shared = exists().where(Membership.cluster_id == mine.cluster_id, Membership.firm_id == followup.other_firm_id,
                            Membership.status == MembershipStatus.APPROVED)
    open_to_all = ~exists().where(event_clusters.c.event_id == event_id)
    return db.session.scalar(
        select(mine.cluster_id)
        .where(mine.firm_id == followup.firm_id, mine.status == MembershipStatus.APPROVED,
               or_(open_to_all, mine.cluster_id.in_(of_event)))
        .order_by(case((shared, 0), else_=1), mine.cluster_id).limit(1))


# --- the coordinator's one more reminder ----------------------------------------------------------

def can_remind_again(followup: FollowUp) -> bool:
    """Once in total per question: sent, not answered, not reminded by hand before."""
    return followup.sent_at is not None and followup.answered_at is None and followup.extra_reminder_at is None


def remind_again(actor, cluster, followup: FollowUp, now=None) -> int:
    """A coordinator of the firm's cluster (or staff) sends one more reminder; the link is then good for
    FOLLOWUP_LINK_DAYS from now."""
    from portal.followup.queries import is_member
    from portal.permissions import can_view_followups

    if not can_view_followups(actor, cluster) or not is_member(cluster, followup.firm_id):
        raise PermissionDenied()
    if not can_remind_again(followup):
        raise RuleViolation(_l("One more reminder can be sent once, and only while the question is unanswered."))
    now = now or utcnow()
    followup.extra_reminder_at, followup.extra_reminder_by_id = now, actor.id
    link_days = timedelta(days=current_app.config["FOLLOWUP_LINK_DAYS"])
    followup.expires_at = max(followup.expires_at or now, now + link_days)
    sent = _mail(followup, reminder=len(REMINDER_DAYS) + 1)
    db.session.flush()
    audit.record(actor, "followup.reminded", followup, recipients=sent)
    log.info("follow-up %s reminded again by %s", followup.id, actor.id)
    return sent


# --- the mail -------------------------------------------------------------------------------------

def _render(context, locale):
    from portal.links import absolute_url

    followup = db.session.get(FollowUp, context.get("followup"))
    if followup is None or followup.answered_at is not None:
        return None  # answered before the mail left: nothing to ask any more
    user = db.session.get(User, context.get("user_id")) if context.get("user_id") else None
    subject = (_l("Cluster Portal: what came of your contact with %(firm)s?", firm=_name(followup.other_firm, locale))
               if not context.get("reminder") else
               _l("Reminder: what came of your contact with %(firm)s?", firm=_name(followup.other_firm, locale)))
    return Email(subject, "followup", {
        "user": user, "followup": followup, "firm": _name(followup.firm, locale),
        "other": _name(followup.other_firm, locale), "reminder": context.get("reminder") or 0,
        "link": absolute_url("followup.answer", token=token_of(followup), lang=locale)})


def _render_line(context, locale):
    """The question on LINE: the same sentence as the mail, one button to the same signed link."""
    from portal.line.messages import LineText
    from portal.links import absolute_url

    followup = db.session.get(FollowUp, context.get("followup"))
    if followup is None or followup.answered_at is not None:
        return None
    with force_locale(locale):
        other = _name(followup.other_firm, locale)
        if context.get("reminder"):
            text = _("A reminder: about six months ago %(firm)s met or partnered with %(other)s through the "
                     "Cluster Portal. What came of it? One short question, no sign-in needed.",
                     firm=_name(followup.firm, locale), other=other)
        else:
            text = _("About six months ago %(firm)s met or partnered with %(other)s through the Cluster Portal. "
                     "What came of it? One short question, no sign-in needed.",
                     firm=_name(followup.firm, locale), other=other)
    return LineText(text, absolute_url("followup.answer", token=token_of(followup), lang=locale),
                    button=ANSWER)


def _line_fallback(row) -> bool:
    """LINE could not carry the question (quota used up, unlinked since): mail it instead, unless the
    member had it by e-mail already or is gone."""
    context = row.context or {}
    user = db.session.get(User, row.user_id) if row.user_id else None
    followup = db.session.get(FollowUp, context.get("followup"))
    if context.get("emailed") or user is None or user.is_suspended or followup is None \
            or followup.answered_at is not None:
        return False
    enqueue_email(ASK, user.email, row.locale, user_id=user.id, followup=followup.id,
                  reminder=context.get("reminder") or 0)
    return True


def _name(firm, locale) -> str:
    if firm is None:
        return "-"
    first, second = (firm.name_th, firm.name_en) if locale == "th" else (firm.name_en, firm.name_th)
    return first or second or ""


ANSWER = _l("Answer the question")
register_email(ASK, _render)
register_line(ASK, _render_line, _line_fallback)
register_direct(ASK)
