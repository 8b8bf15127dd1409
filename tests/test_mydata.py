"""Download my data and delete my account (issue 24): the export checked field by field against a hand-built
account; the deletion steps; the erasure leaving no personal data of the user in any table, while the
partner's thread still reads."""
import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import JSON, String, Text, select, text

from portal import audit
from portal.auth.models import User
from portal.clusters.models import Position
from portal.collab import services as collab
from portal.collab.models import Kind
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import FirmInvitation, FirmMember, FirmRole
from portal.following import services as following
from portal.following.models import Follow, Frequency, SavedSearch, SearchList
from portal.jobs import periodic
from portal.line.models import LineAccount
from portal.mydata import erasure, export
from portal.mydata import services as mydata
from portal.mydata.models import DataExport, ExportStatus
from portal.notifications.models import Notification, NotificationPreference
from portal.outbox.models import OutboxMessage
from portal.outbox.services import enqueue_email
from tests import factories
from tests.conftest import PG_URL
from tests.helpers import body, signed_in

NAME = "สมชาย ลาออกไป"
EMAIL = "leaver.unique@example.com"
LINE_ID = "U" + "4f" * 16
LINE_NAME = "Somchai On LINE"


def build_world():
    """The leaver (an editor of the responding firm R, with data in every place), the poster (owner of P),
    and R's owner. Returns ids."""
    betta = factories.cluster("betta")
    leaver = factories.user(email=EMAIL, name=NAME, locale="en")
    poster = factories.user(email="poster@example.com")
    keeper = factories.user(email="keeper@example.com")
    p = factories.firm(name_th="ฟาร์มผู้ประกาศ", name_en="Poster Farm")
    r = factories.firm(name_th="ฟาร์มผู้ตอบ", name_en="Responder Farm", public_listing_consent_at=None)
    factories.team_member(p, poster, "owner")
    factories.team_member(r, keeper, "owner")
    factories.team_member(r, leaver, "editor")
    factories.membership(p, betta, Position.DOWNSTREAM)
    factories.membership(r, betta, Position.UPSTREAM)
    db.session.add(LineAccount(user_id=leaver.id, line_user_id=LINE_ID, display_name=LINE_NAME, linked_at=utcnow()))
    request = collab.post_request(poster, p, {
        "cluster_id": betta.id, "kind": Kind.SEEKING_SUPPLIER, "position_sought": Position.UPSTREAM,
        "title_th": "หาฟาร์มปลากัด", "title_en": None, "details_th": "ปลากัด 500 ตัว", "details_en": None,
        "quantity": "500", "budget_min": Decimal("1000"), "budget_max": None, "province_id": None})
    response = collab.respond(leaver, request, r, "We have 500 halfmoon bettas")
    collab.send_message(leaver, response, f"Write to me at {EMAIL}, LINE {LINE_ID}, {NAME}")
    collab.send_message(poster, response, "Thank you, we will call")
    following.follow_firm(leaver, p)
    following.save_search(leaver, SearchList.BOARD, {"q": "ปลากัด"}, "bettas", Frequency.DAILY)
    db.session.add(NotificationPreference(user_id=leaver.id, kind="message.new", by_email=False, by_line=True))
    db.session.add(FirmInvitation(firm_id=r.id, email=EMAIL, role=FirmRole.EDITOR, invited_by_id=keeper.id,
                                  accepted_at=utcnow(), accepted_by_id=leaver.id))
    audit.record(keeper, "firm.editor_invited", r, email=EMAIL, name=NAME)
    audit.record(leaver, "firm.updated", r, changed=["phone"])
    enqueue_email("auth.reset", EMAIL, "en", user_id=leaver.id, user=leaver.id)
    factories.term(leaver, betta)  # a coordinator too
    db.session.commit()
    return {"leaver": leaver.id, "poster": poster.id, "keeper": keeper.id, "p": p.id, "r": r.id,
            "request": request.id, "response": response.id}


def with_second_factors(user_id):
    """An authenticator app, a recovery code and a passkey (rows as portal.twofactor keeps them)."""
    from portal.twofactor.models import Passkey, RecoveryCode, TotpCredential

    db.session.add_all([TotpCredential(user_id=user_id, secret_encrypted="sealed", confirmed_at=utcnow()),
                        RecoveryCode(user_id=user_id, code_hash="0" * 64),
                        Passkey(user_id=user_id, credential_id="bGVhdmVy", public_key=b"\xa5", sign_count=3,
                                name="Somchai's phone")])
    db.session.commit()


AUDITED_FOR_LEAVER = ["firm.updated", "response.sent"]


# --- download my data ------------------------------------------------------------------------------

def test_export_holds_every_section_field_by_field(ctx):
    ids = build_world()
    with_second_factors(ids["leaver"])
    leaver = db.session.get(User, ids["leaver"])
    data = export.collect(leaver)
    assert [name for name, _rows in export.SECTIONS] == list(data)
    (account,) = data["account"]
    assert account["email"] == EMAIL and account["name"] == NAME and account["locale"] == "en"
    assert account["id"] == leaver.id and "password_hash" not in account and "session_version" not in account
    (firm,) = data["firms"]
    assert (firm["id"], firm["name_en"], firm["my_role"], firm["public_listing_consent_at"]) == (
        ids["r"], "Responder Farm", "editor", None)
    assert "search_text" not in firm
    assert [(m["firm_id"], m["status"]) for m in data["memberships"]] == [(ids["r"], "approved")]
    assert data["requests"] == []  # the poster's request is not the leaver's
    (response,) = data["responses"]
    assert (response["id"], response["firm_id"], response["created_by_id"]) == (ids["response"], ids["r"], leaver.id)
    assert [m["body"] for m in data["messages"]] == [
        "We have 500 halfmoon bettas", f"Write to me at {EMAIL}, LINE {LINE_ID}, {NAME}"]
    # The poster's answer notified the responding team, the leaver among them.
    assert [(n["kind"], n["target_id"]) for n in data["notifications"]] == [("message.new", ids["response"])]
    (line,) = data["line_account"]
    assert (line["line_user_id"], line["display_name"]) == (LINE_ID, LINE_NAME)
    (follow,) = data["follows"]
    assert (follow["firm_id"], follow["cluster_id"]) == (ids["p"], None)
    (search,) = data["saved_searches"]
    assert (search["name"], search["list"], search["frequency"]) == ("bettas", "board", "daily")
    actions = sorted(e["action"] for e in data["audit_entries"])
    assert actions == AUDITED_FOR_LEAVER, actions  # by the keeper about the firm (editor_invited): not theirs
    listing, *history = data["consents"]
    assert listing == {"kind": "firm.public_listing", "firm_id": ids["r"], "firm_name_th": "ฟาร์มผู้ตอบ",
                       "given_at": None, "given": False}
    # the privacy notice the leaver accepted (factories.user records it, as registration does)
    assert [(h["kind"], h["version"], h["given"], h["method"]) for h in history] == [
        ("history.notice", 1, True, "registration")]
    assert history[0]["given_at"]
    factors = data["second_factors"]  # what is set up, never the secrets
    assert [f["kind"] for f in factors] == ["authenticator_app", "recovery_code", "passkey"]
    assert factors[2]["name"] == "Somchai's phone" and factors[1]["used_at"] is None
    assert not any(key in f for f in factors for key in ("secret_encrypted", "code_hash", "public_key"))
    assert data["device_sessions"] == []  # built without signing in


def test_export_zip_has_json_and_one_csv_per_section(ctx):
    ids = build_world()
    leaver = db.session.get(User, ids["leaver"])
    archive = zipfile.ZipFile(io.BytesIO(export.zip_bytes(export.collect(leaver))))
    names = set(archive.namelist())
    assert names == {"data.json"} | {f"{name}.csv" for name, _rows in export.SECTIONS}
    assert json.loads(archive.read("data.json"))["account"][0]["email"] == EMAIL
    messages_csv = archive.read("messages.csv").decode("utf-8-sig")
    assert messages_csv.splitlines()[0].startswith("id,") and "halfmoon" in messages_csv


def test_download_flow_notification_email_and_access(app, mailbox):
    with app.app_context():
        ids = build_world()
    client = signed_in(app, EMAIL)
    assert "Download my data" in body(client.get("/account/data"))
    assert client.post("/account/data/export").status_code == 302
    with app.app_context():
        row = db.session.scalar(select(DataExport))
        assert row.status is ExportStatus.READY and row.user_id == ids["leaver"]
        assert (row.expires_at - row.ready_at) == timedelta(days=7)
        notes = db.session.scalars(select(Notification).where(Notification.user_id == ids["leaver"],
                                                              Notification.kind.like("mydata.%"))).all()
        assert [n.kind for n in notes] == ["mydata.export_ready"]
        export_id = row.id
    message = mailbox.last_to(EMAIL)
    link = mailbox.link_in(message, f"/account/data/{export_id}/download")
    got = client.get(link)
    assert got.status_code == 200 and got.mimetype == "application/zip"
    assert "no-store" in got.headers["Cache-Control"]
    assert zipfile.ZipFile(io.BytesIO(got.data)).read("data.json")
    assert signed_in(app, "poster@example.com").get(link).status_code == 403
    assert app.test_client().get(link).status_code == 302  # to sign in
    # Expired: a translated message, no file; the cleanup job removes the file.
    with app.app_context():
        row = db.session.get(DataExport, export_id)
        name = row.file_name
        assert export.read(name) == got.data
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    gone = client.get(link)
    assert gone.status_code == 302 and gone.location.endswith("/account/data")
    assert "expired" in body(client.get("/account/data"))
    with app.app_context():
        assert periodic.remove_expired_exports() == "1 expired data exports removed"
        db.session.commit()
        assert export.read(name) is None and db.session.get(DataExport, export_id).status is ExportStatus.REMOVED


def test_one_pending_export_at_a_time(ctx):
    ids = build_world()
    leaver = db.session.get(User, ids["leaver"])
    mydata.request_export(leaver)
    with pytest.raises(mydata.RuleViolation):
        mydata.request_export(leaver)


# --- delete my account -----------------------------------------------------------------------------

def test_a_sole_owner_hands_over_or_closes_first(app):
    with app.app_context():
        owner = factories.user(email="owner@example.com", locale="en")
        editor = factories.user(email="editor@example.com")
        firm, lonely = factories.firm(name_en="Shared Farm"), factories.firm(name_en="Lonely Farm")
        factories.team_member(firm, owner, "owner")
        factories.team_member(firm, editor, "editor")
        factories.team_member(lonely, owner, "owner")
        db.session.commit()
        firm_id, lonely_id, owner_id, editor_id = firm.id, lonely.id, owner.id, editor.id
    client = signed_in(app, "owner@example.com")
    page = body(client.get("/account/delete"))
    assert "What will happen" in page and "Shared Farm" in page and "Lonely Farm" in page
    refused = client.post("/account/delete", data={"answer": factories.PASSWORD})
    assert "First hand each firm" in body(refused)
    # An outsider's id, or a firm the user does not own, changes nothing.
    client.post(f"/account/delete/firms/{firm_id}/hand-over", data={"new_owner": "999"})
    assert signed_in(app, "editor@example.com").post(f"/account/delete/firms/{firm_id}/close").status_code == 403
    assert client.post(f"/account/delete/firms/{firm_id}/hand-over", data={"new_owner": editor_id}).status_code == 302
    assert client.post(f"/account/delete/firms/{lonely_id}/close").status_code == 302
    with app.app_context():
        assert db.session.get(FirmMember, (firm_id, editor_id)).role is FirmRole.OWNER
        assert db.session.get(FirmMember, (firm_id, owner_id)).role is FirmRole.EDITOR
        from portal.firms.models import Firm

        assert db.session.get(Firm, lonely_id).hidden_at is not None
    wrong = client.post("/account/delete", data={"answer": "not my password"})
    assert "That is not your password" in body(wrong)
    done = client.post("/account/delete", data={"answer": factories.PASSWORD})
    assert done.status_code == 302
    assert client.get("/auth/account").location.startswith("/auth/login")  # signed out everywhere
    with app.app_context():
        owner = db.session.get(User, owner_id)
        due = owner.deletion_due_at - owner.deletion_requested_at
        assert due == timedelta(days=30)
        actions = db.session.scalars(select(audit.AuditEntry.action)).all()
        assert {"firm.owner_handed_over", "firm.closed", "user.deletion_requested"} <= set(actions)
    # Signing in again: only the deletion page, which offers to cancel.
    again = signed_in(app, "owner@example.com")
    assert again.get("/firms/mine").location.endswith("/account/delete")
    assert "due for deletion" in body(again.get("/account/delete"))
    assert again.post("/account/delete/cancel").status_code == 302
    assert again.get("/firms/mine").status_code == 200
    with app.app_context():
        assert db.session.get(User, owner_id).deletion_due_at is None


def test_an_account_without_password_confirms_with_its_address(app):
    with app.app_context():
        user = factories.user(email="lineonly@example.com", locale="en")
        user.password_hash = "!unusable"
        from portal.devices.services import open_session

        user.signed_in_at = int(utcnow().timestamp())
        open_session(user)  # signed in as LINE sign-in does (no password to type): a device session
        session_id = user.get_id()
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert "type your e-mail address" in body(client.get("/account/delete"))
    assert "That is not your e-mail address" in body(client.post("/account/delete", data={"answer": "x@y.z"}))
    assert client.post("/account/delete", data={"answer": "LineOnly@example.com"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).is_deletion_pending


# --- erasure ---------------------------------------------------------------------------------------

def _leftovers(values: list[str]) -> list[str]:
    """Every text and JSON cell of every table holding one of `values`, as "table.column"."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).all():
            for column, cell in zip(columns, row, strict=True):
                text = json.dumps(cell, ensure_ascii=False) if isinstance(column.type, JSON) else str(cell or "")
                found += [f"{table.name}.{column.name}: {value}" for value in values if value in text]
    return found


def test_erasure_leaves_no_personal_data_and_threads_still_read(app):
    with app.app_context():
        ids = build_world()
        with_second_factors(ids["leaver"])
        leaver = db.session.get(User, ids["leaver"])
        from portal.devices.services import open_session

        with app.test_request_context("/", headers={"User-Agent": "Mozilla/5.0 (Android 14) Firefox/130.0"}):
            open_session(leaver)  # a phone it signed in on: its browser and address are personal data too
        mydata.request_deletion(leaver, factories.PASSWORD)
        db.session.commit()
        assert _leftovers([NAME, EMAIL, LINE_ID, LINE_NAME])  # the walk finds them before
        # Not yet due: the daily job leaves the account alone.
        assert periodic.erase_accounts() == "0 accounts erased"
        leaver.deletion_due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert periodic.run_due(utcnow().replace(hour=23))["accounts.erasure"] == "1 accounts erased"
        assert _leftovers([NAME, EMAIL, LINE_ID, LINE_NAME]) == []
        leaver = db.session.get(User, ids["leaver"])
        assert leaver.is_erased and leaver.name == f"Former member {leaver.id}" and not leaver.has_password
        from portal.devices.models import DeviceSession
        from portal.twofactor.models import Passkey, RecoveryCode, TotpCredential

        for model in (Notification, NotificationPreference, Follow, SavedSearch, LineAccount, FirmMember,
                      TotpCredential, RecoveryCode, Passkey, DeviceSession):
            assert db.session.scalar(select(model).where(model.user_id == leaver.id)) is None
        assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == leaver.id)) is None
        entry = db.session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.action == "firm.editor_invited"))
        pseudonymous = erasure.placeholder_email(leaver)
        assert entry.details == {"email": pseudonymous, "name": f"Former member {leaver.id}"}
        assert db.session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.action == "user.erased"))
        from portal.clusters.models import CoordinatorTerm
        from portal.thai import bangkok_today

        term = db.session.scalar(select(CoordinatorTerm).where(CoordinatorTerm.user_id == leaver.id))
        assert term.ends_on < bangkok_today()  # no cluster's notifications go to the erased account
    # The poster's thread still reads: both messages, the leaver's with its pseudonym in place of the details.
    thread = body(signed_in(app, "poster@example.com").get(f"/requests/responses/{ids['response']}"))
    assert "We have 500 halfmoon bettas" in thread and "Thank you, we will call" in thread
    assert f"Former member {ids['leaver']}" in thread
    # The old credentials open nothing.
    assert factories.sign_in(app.test_client(), EMAIL).status_code == 200


def test_pseudonym_is_translated(app, th):
    with app.app_context():
        user = factories.user(email="gone@example.com")
        user.erased_at = utcnow()
        from flask_babel import force_locale

        with force_locale("th"):
            assert user.display_name == f"อดีตสมาชิก {user.id}"
        with force_locale("en"):
            assert user.display_name == f"Former member {user.id}"


def test_erasure_leaves_other_peoples_lookalike_addresses_and_names_alone(ctx):
    leaver = factories.user(email="bob@example.com", name="Bob Leaver")
    other = factories.user(email="jimbob@example.com", name="Bob Leaver Junior")
    firm = factories.firm(name_en="Farm", email="sales.bob@example.com")
    recorded = audit.record(other, "firm.updated", firm, contacts=["jimbob@example.com", "BOB@example.com"])
    db.session.commit()
    erasure.erase(leaver)
    db.session.commit()
    other = db.session.get(User, other.id)
    assert (other.email, other.name) == ("jimbob@example.com", "Bob Leaver Junior")  # users rows: theirs
    from portal.firms.models import Firm

    assert db.session.get(Firm, firm.id).email == "sales.bob@example.com"
    entry = db.session.get(audit.AuditEntry, recorded.id)
    assert entry.details == {"contacts": ["jimbob@example.com", erasure.placeholder_email(leaver)]}


def test_an_erased_name_is_no_longer_found_by_search_nor_kept_as_a_search_word(app):
    """A firm's and a request's search columns are derived again from their scrubbed text: the leaver's name cut
    into words (สม ชาย ลาออก ไป) found both before, and still did after the text itself was scrubbed. The name's
    words leave the "did you mean" vocabulary, but those another record uses stay: another สมชาย's firm is still
    found by its own name."""
    from portal.firms.models import Firm
    from portal.search.vocabulary import SearchWord

    with app.app_context():
        ids = build_world()
        named = factories.firm(name_th="ฟาร์มปลาสวยงาม", description_th=f"ติดต่อคุณ{NAME} ได้ทุกวัน")
        factories.firm(name_th="ร้านคุณสมชาย", description_th="สมชาย ใจดี ขายปลากัด")
        collab.post_request(db.session.get(User, ids["poster"]), db.session.get(Firm, ids["p"]), {
            "cluster_id": None, "kind": Kind.SEEKING_SUPPLIER, "position_sought": Position.UPSTREAM,
            "title_th": "หาคนส่งปลา", "title_en": None, "details_th": f"ติดต่อ {NAME} โดยตรง", "details_en": None,
            "quantity": "", "budget_min": None, "budget_max": None, "province_id": None})
        db.session.commit()
        named_id = named.id
    client = app.test_client()

    def firms_found(words):
        page = body(client.get(f"/directory/?q={words}"))
        return {name for name in ("ฟาร์มปลาสวยงาม", "ร้านคุณสมชาย") if name in page}

    assert firms_found("ลาออกไป") == {"ฟาร์มปลาสวยงาม"} and firms_found("สมชาย") == {"ฟาร์มปลาสวยงาม", "ร้านคุณสมชาย"}
    assert "หาคนส่งปลา" in body(client.get("/requests/?q=ลาออกไป"))
    with app.app_context():
        assert "ลาออก" in set(db.session.scalars(select(SearchWord.word)))
        erasure.erase(db.session.get(User, ids["leaver"]))
        db.session.commit()
        firm = db.session.get(Firm, named_id)
        assert NAME not in firm.description_th and " ลาออก " not in firm.words_body
        vocabulary = set(db.session.scalars(select(SearchWord.word)))
    assert firms_found("ลาออกไป") == set() and firms_found("สมชาย") == {"ร้านคุณสมชาย"}
    assert "หาคนส่งปลา" not in body(client.get("/requests/?q=ลาออกไป"))
    assert "หาคนส่งปลา" in body(client.get("/requests/?q=ติดต่อ"))  # the request itself stays, with the pseudonym
    assert "ลาออก" not in vocabulary and {"สม", "ชาย", "former", "member"} <= vocabulary


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's full-text indexes")
def test_an_erased_name_leaves_no_token_in_sqlites_full_text_indexes(app):
    """SQLite's FTS5 indexes keep a changed record's old tokens in their pages, beside a "delete" entry, until their
    segments merge: a search no longer finds the erased name, but the database file still held it. The erasure
    merges them. It fails without the merge (the name's trigrams are then still in firms_fts's blocks)."""
    from portal.collab.models import CollabRequest
    from portal.firms.models import Firm
    from portal.thai import bangkok_today

    name = "Zyqwx Vkjhbq"  # letters no other text of the test has: its trigrams stand whole in the index's pages
    pieces = [b"zyq", b"yqw", b"qwx", b"vkj", b"kjh", b"jhb"]

    def held() -> dict[str, set[bytes]]:
        found = {}
        for table in erasure.SQLITE_FTS_TABLES:
            blocks = b"".join(row[0] or b"" for row in db.session.execute(text(f"SELECT block FROM {table}_data")))
            found[table] = {piece for piece in pieces if piece in blocks}
        return found

    with app.app_context():
        leaver = factories.user(name=name)
        firm = factories.firm(name_th="ร้านทดสอบลบ", description_th=f"ติดต่อ {name} ได้ทุกวัน")
        db.session.add(CollabRequest(firm_id=firm.id, kind=Kind.SEEKING_SUPPLIER, title_th="หาคนส่งของ",
                                     details_th=f"ติดต่อ {name}", expires_on=bangkok_today() + timedelta(days=30)))
        db.session.commit()
        before = held()
        assert before["firms_fts"] and before["collab_requests_fts"], before  # the check can see them
        db.session.execute(text("PRAGMA secure_delete = 0"))  # off, as some builds have it: the erasure turns it on
        erasure.erase(leaver)
        assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 0  # and puts it back as it was
        db.session.commit()
        assert held() == {table: set() for table in erasure.SQLITE_FTS_TABLES}
        assert name not in db.session.get(Firm, firm.id).description_th


def test_thai_explanations_and_buddhist_era_date(app, th, mailbox):
    with app.app_context():
        user_id = factories.user(email="thai@example.com", locale="th").id
        db.session.commit()
    client = signed_in(app, "thai@example.com")
    page = body(client.get("/account/delete"))
    assert th("What will happen") in page and th("You are signed out at once, on every device.") in page
    assert client.post("/account/delete", data={"answer": factories.PASSWORD}).status_code == 302
    with app.app_context():
        due = db.session.get(User, user_id).deletion_due_at
    from portal.i18n import format_be_date
    from portal.thai import to_bangkok

    again = signed_in(app, "thai@example.com")
    with app.test_request_context("/?lang=th"):
        from flask_babel import force_locale

        with force_locale("th"):
            date_th = format_be_date(due)
    # The date shown is Bangkok's: after 17:00 UTC on 31 December it is already the next year there.
    assert str(to_bangkok(due).year + 543) in date_th
    pending = body(again.get("/account/delete"))
    assert th("Your account will be deleted on %(date)s. Until then you can only cancel the deletion or "
              "download your data.", date=date_th) in pending
    # An account due for deletion may still take its copy; the e-mail (here the notification's own, as the
    # user gets notifications by e-mail at once) is in Thai, with the link.
    assert again.post("/account/data/export").status_code == 302
    text = mailbox.body(mailbox.last_to("thai@example.com"))
    assert th("Your data is ready to download for %(days)s days.", days=7) in text and "/account/data/" in text
    assert len([m for m in mailbox.messages if m["To"] == "thai@example.com"]) == 1  # one e-mail, not two


def test_the_link_is_mailed_even_to_those_without_notification_mail(app, th, mailbox):
    from portal.auth.models import EmailSetting

    with app.app_context():
        user = factories.user(email="digest@example.com", locale="th")
        user.email_setting = EmailSetting.DAILY
        db.session.commit()
    client = signed_in(app, "digest@example.com")
    assert client.post("/account/data/export").status_code == 302
    text = mailbox.body(mailbox.last_to("digest@example.com"))
    assert th("The copy of your data that you asked for is ready. Sign in and open this link to download it:") in text
    assert th("The link works for %(num)s day, and only for you.", plural="The link works for %(num)s days, and "
              "only for you.", num=7) in text
    assert client.get(mailbox.link_in(mailbox.last_to("digest@example.com"), "/download")).status_code == 200


def test_deleting_after_an_old_sign_in_asks_who_it_is_first_and_changes_nothing(app, monkeypatch):
    """The explanation reads at any time; the deletion itself needs a recent sign-in (REAUTH_MAX_AGE),
    with the second factor for an account that has one (portal/twofactor/flow.py)."""
    with app.app_context():
        user = factories.user(email="old.session@example.com", locale="en")
        db.session.commit()
        user_id = user.id
    client = signed_in(app, "old.session@example.com")
    monkeypatch.setitem(app.config, "REAUTH_MAX_AGE", -1)  # the sign-in is too old for any change
    assert client.get("/account/delete").status_code == 200
    asked = client.post("/account/delete", data={"answer": factories.PASSWORD})
    assert asked.status_code == 302 and "/account/security/confirm" in asked.location
    with app.app_context():
        assert db.session.get(User, user_id).deletion_requested_at is None
