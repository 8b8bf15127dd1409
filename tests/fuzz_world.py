"""A small, fixed world for the fuzz tests: people in every role, firms, a request with a thread, an
outcome, a report, an invitation. The harness snapshots it and restores it (same rows, same ids) before
each attempt that follows a write."""
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import inspect, text
from werkzeug import security

from portal.auth import services as auth_services
from portal.auth.models import Role
from portal.clusters.models import MembershipStatus, Position
from portal.collab import services as collab
from portal.collab.models import CloseReason, Kind, OutcomeKind
from portal.extensions import db
from portal.firms import emails as firm_emails
from portal.firms import services as firm_services
from portal.moderation import services as moderation
from portal.moderation.models import ReportReason
from portal.thai import bangkok_today
from portal.webhooks.models import WebhookDelivery
from tests import factories

ROLES = ("anonymous", "owner", "responder", "member", "coordinator", "staff", "admin")
PASSWORD = factories.PASSWORD
# Password hashing costs ~20 ms by design; the fuzz tests send thousands of forms, so they hash cheaply.
CHEAP_HASH = partial(security.generate_password_hash, method="pbkdf2:sha256:1")


@dataclass
class World:
    session_ids: dict[str, str] = field(default_factory=dict)  # role -> Flask-Login id ("id:version")
    ids: dict[str, int] = field(default_factory=dict)  # what path parameters refer to
    tokens: dict[str, str] = field(default_factory=dict)  # endpoint -> a valid <token>

    def user_id(self, role: str) -> str | None:
        """The Flask-Login session id of a role, None for anonymous."""
        return None if role == "anonymous" else self.session_ids[role]


def _user(name, role=None, confirmed=True):
    user = factories.user(email=f"{name}@fuzz.example", name=f"ผู้ใช้ {name}", role=role, confirmed=confirmed)
    user.password_hash = CHEAP_HASH(PASSWORD)
    return user


def _request(owner, firm, cluster, title):
    data = {"cluster_id": cluster.id, "kind": Kind.SEEKING_SUPPLIER, "position_sought": Position.UPSTREAM,
            "title_th": title, "title_en": None, "details_th": "รายละเอียด", "details_en": None, "quantity": "500",
            "budget_min": Decimal(1000), "budget_max": Decimal(5000), "province_id": None}
    return collab.post_request(owner, firm, data, bangkok_today() + timedelta(days=30))


def _people_and_firms(betta):
    people = {name: _user(name) for name in ("owner", "editor", "responder", "member", "applicant", "coordinator",
                                              "coordinator2", "subject", "invitee")}
    people["staff"] = _user("staff", Role.STAFF)
    people["admin"] = _user("admin", Role.ADMIN)
    people["newbie"] = _user("newbie", confirmed=False)
    firms = {"a": factories.firm(name_th="ฟาร์มเจ้าของ", name_en="Owner Farm"),
             "b": factories.firm(name_th="ฟาร์มผู้ตอบ"),
             "c": factories.firm(name_th="ฟาร์มผู้สมัคร"),
             "d": factories.firm(name_th="ฟาร์มสมาชิก")}  # d: a member that has not answered the request
    for firm, person, role in (("a", "owner", "owner"), ("a", "editor", "editor"), ("b", "responder", "owner"),
                               ("c", "applicant", "owner"), ("d", "member", "owner")):
        factories.team_member(firms[firm], people[person], role)
    memberships = {"membership": factories.membership(firms["a"], betta, Position.DOWNSTREAM).id,
                   "pending_membership": factories.membership(firms["c"], betta, Position.UPSTREAM,
                                                              status=MembershipStatus.PENDING).id,
                   # a coordinator's import invited the owner's firm to a second cluster
                   "invited_membership": factories.membership(firms["a"], factories.cluster("cosplay"),
                                                              Position.MIDSTREAM, status=MembershipStatus.INVITED).id}
    factories.membership(firms["b"], betta, Position.UPSTREAM)
    factories.membership(firms["d"], betta, Position.MIDSTREAM)
    factories.term(people["coordinator"], betta)
    memberships["term"] = factories.term(people["coordinator2"], betta).id
    return people, firms, memberships


def _matching_day(people, firms, betta) -> dict[str, int]:
    """An open matching day for betta: the owner's, the responder's and the member's firms approved, a fifth
    firm waiting for approval, and a request from the responder's firm to the owner's waiting for an answer."""
    from portal.events import services as events
    from tests.events_day_helpers import place_meeting
    from tests.events_helpers import make_event, register

    staff = people["staff"]
    event = make_event(staff, [betta.id], needs_approval=True)
    waiting = factories.firm(name_th="ฟาร์มรออนุมัติ")
    factories.team_member(waiting, people["applicant"], "owner")
    factories.membership(waiting, betta, Position.UPSTREAM)
    regs = {}
    for name, who in (("a", "owner"), ("b", "responder"), ("d", "member")):
        regs[name] = register(people[who], event, firms[name])
        events.decide_registration(staff, regs[name], approve=True)
    pending = register(people["applicant"], event, waiting)
    meeting_request = events.request_meeting(people["responder"], regs["b"], regs["a"], "อยากคุยเรื่องปลากัด")
    # the owner's firm meets the member's, placed in the first slot (the day's pages: agenda, marks, ratings)
    meeting = place_meeting(event, people["owner"], regs["a"], people["member"], regs["d"])
    return {"event": event.id, "event_registration": regs["d"].id, "pending_registration": pending.id,
            "meeting_request": meeting_request.id, "meeting": meeting.id, "checkin_token": regs["a"].checkin_token}


def _followup(partnered, firms):
    """The owner's firm asked, by a link sent now, what came of its partnership with the responder's."""
    from datetime import timedelta

    from portal.db import utcnow
    from portal.followup import services as followups
    from portal.followup.models import Source

    now = utcnow()
    followup = followups._new(source=Source.REQUEST, request_id=partnered.id, firm_id=firms["a"].id,
                              other_firm_id=firms["b"].id, due_at=now, sent_at=now, expires_at=now + timedelta(days=60))
    db.session.add(followup)
    db.session.flush()
    return followup, followups.token_of(followup)


def _webhook_endpoint(admin):
    """An endpoint for every event on a loopback address (refused at delivery: no allow-list in the fuzz
    tests), added as a row: registration would refuse the address too."""
    from portal.webhooks.models import EVENT_TYPES, WebhookEndpoint

    endpoint = WebhookEndpoint(url="http://127.0.0.1:9/hooks", secret="whsec_fuzz", events=list(EVENT_TYPES),
                               is_active=True, created_by_id=admin.id)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def build() -> World:
    """Create the world in the (reference-only) database and commit it."""
    from portal.collab.models import Outcome
    from portal.notifications.models import Notification

    betta = factories.cluster("betta")
    people, firms, ids = _people_and_firms(betta)
    owner, responder = people["owner"], people["responder"]
    webhook_endpoint = _webhook_endpoint(people["admin"])  # the world's requests below are its deliveries
    open_request = _request(owner, firms["a"], betta, "หาฟาร์มปลากัด")
    response = collab.respond(responder, open_request, firms["b"], "เราเพาะปลากัดฮาล์ฟมูน")
    message = collab.send_message(owner, response, "สนใจครับ")
    moderation.hide(people["staff"], "message", message, "ทดสอบการซ่อน")  # so its author may ask for a review
    done = _request(owner, firms["a"], betta, "หาบรรจุภัณฑ์")
    collab.respond(responder, done, firms["b"], "เรามีกล่องโฟม")
    collab.close(owner, done, CloseReason.PARTNERED, firms["b"].id, Decimal(25000), OutcomeKind.NEW_SALES)
    moderation.report(responder, "firm", firms["a"], ReportReason.WRONG_INFORMATION, "ข้อมูลผิด")
    invitation = firm_services.invite(owner, firms["a"], people["invitee"].email)
    from portal.memberships import imports
    from portal.outbox.models import OutboxMessage, OutboxStatus

    member_import = imports.start(people["coordinator"], betta, "0" * 32, 1, "th")  # its file is long gone
    from portal.glossary import services as glossary

    glossary_entry = glossary.add_entry(people["staff"], "ทุเรียน", "durian")
    glossary.add_entry(people["staff"], "มะพร้าว", "coconut")
    glossary.retire_entry(people["staff"], glossary.add_entry(people["staff"], "ปลากัด", "betta"))
    event_ids = _matching_day(people, firms, betta)
    checkin_token = event_ids.pop("checkin_token")
    followup, followup_token = _followup(done, firms)
    from portal.following import services as following
    from portal.following.models import Frequency, SearchList

    follow = following.follow_firm(owner, firms["b"])
    saved_search = following.save_search(owner, SearchList.BOARD, {"cluster": "betta"}, "ปลากัด", Frequency.DAILY)
    from portal.twofactor.models import Passkey

    passkey = Passkey(user_id=owner.id, credential_id="ZnV6ei1wYXNza2V5", public_key=b"\xa5", sign_count=0,
                      name="โทรศัพท์")
    db.session.add(passkey)

    from portal.mydata import services as mydata

    data_export = mydata.request_export(owner)  # pending: its download page says it has expired / is not ready
    db.session.commit()
    from portal.db import utcnow

    # The world's mail was sent before the fuzzing starts. Left queued, it would be sent again by every attempt
    # that queues a message (each restore queues it anew): some 20 e-mails an attempt, a tenth of the run.
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
                       .values(status=OutboxStatus.SENT, sent_at=utcnow()))
    failed_mail = db.session.scalar(db.select(OutboxMessage).order_by(OutboxMessage.id))
    failed_mail.status, failed_mail.last_error = OutboxStatus.FAILED, "550 5.1.1 ไม่มีผู้ใช้นี้"  # for retry/cancel
    db.session.commit()

    ids.update({
        "firm": firms["a"].id, "other_firm": firms["b"].id, "request": open_request.id, "response": response.id,
        "message": message.id, "editor": people["editor"].id, "subject": people["subject"].id,
        "invitation": invitation.id, "outcome": db.session.scalar(db.select(Outcome.id)),
        "notification": db.session.scalar(db.select(Notification.id).where(Notification.user_id == owner.id)),
        "outbox_message": failed_mail.id, "member_import": member_import.id, "glossary_entry": glossary_entry.id,
        "followup": followup.id, "follow": follow.id, "saved_search": saved_search.id, "passkey": passkey.id,
        "data_export": data_export.id, "webhook_endpoint": webhook_endpoint.id,
        "webhook_delivery": db.session.scalar(db.select(WebhookDelivery.id).order_by(WebhookDelivery.id)),
        **event_ids,
    })
    from portal.devices import services as devices

    session_ids = {role: people[role].get_id() for role in ROLES if role != "anonymous"}  # opens device sessions
    ids["device_session"] = devices.current_of(owner).id  # the owner's: others are refused it (403)
    from portal.api import tokens as api_tokens
    from portal.thai import fiscal_year

    ids["api_token"] = api_tokens.create_token(owner, "fuzz", write=False, days=30)[0].id  # others: 404
    ids["service_token"] = api_tokens.create_service_token(people["admin"], "fuzz system", False, 30,
                                                           "system@osmep.example")[0].id  # admins only
    ids["fiscal_year"] = fiscal_year(utcnow())
    db.session.commit()
    return World(
        session_ids=session_ids,
        ids=ids,
        tokens={"auth.confirm": auth_services.confirmation_token(people["newbie"]),
                "auth.reset": auth_services.reset_token(owner),
                "firms.accept_invitation": firm_emails.invitation_token(invitation),
                # the coordinator's confirmed import: its preview page says so (Back after confirming)
                "coordination.import_preview": member_import.token, "coordination.confirm_import": member_import.token,
                "events.checkin_page": checkin_token, "followup.answer": followup_token,
                "following.stop": following.stop_token(saved_search)},
    )


def data_tables(reference: set[str]) -> list[str]:
    """Every table but the reference data (provinces, organisations, clusters), children first."""
    return [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in reference]


def filled_tables() -> set[str]:
    names = set(inspect(db.engine).get_table_names())
    return {t.name for t in db.metadata.sorted_tables if t.name in names
            and db.session.execute(db.select(t).limit(1)).first() is not None}


def wipe(tables: list[str]) -> None:
    """Empty the data tables (children first), leaving the reference data."""
    db.session.rollback()
    for table in tables:
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()
