"""Member lists in and out as CSV: Excel-ready export, round trip with Thai text, all-or-nothing import."""
import csv
import io
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit import AuditEntry
from portal.clusters.models import Membership, MembershipStatus, Position
from portal.extensions import db
from portal.firms.models import Firm, FirmInvitation, FirmMember, FirmRole
from tests import factories
from tests.helpers import body

NUMBERS = ["0105567000129", "0105567000200", "0105536001239"]


@pytest.fixture
def coordinator(app):
    """A Thai coordinator of Betta and Cosplay, and two Betta members with Thai names."""
    with app.app_context():
        user = factories.user(email="coord@example.com", name="ผู้ประสานงาน", locale="th")
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        factories.term(user, betta)
        factories.term(user, cosplay)
        first = factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm",
                               registration_number=NUMBERS[0], phone="+66812345678", province_code="73")
        second = factories.firm(name_th="ร้านปลาสวยงาม \"ไทยแท้\", สาขา 2", registration_number=NUMBERS[1])
        factories.membership(first, betta, Position.UPSTREAM, Position.DOWNSTREAM)
        factories.membership(second, betta, Position.MIDSTREAM)
        db.session.commit()
    client = app.test_client()
    factories.sign_in(client, "coord@example.com")
    return client


def upload(client, slug, content: bytes, name="members.csv"):
    """Upload a file and land where the coordinator does: the problems, or the preview (by GET, after a redirect)."""
    return client.post(f"/clusters/{slug}/manage/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def confirm(client, slug, preview):
    action = re.search(r'action="(/clusters/[^"]+/manage/import/[0-9a-f]+)"', body(preview))
    assert action, body(preview)[-2000:]
    return client.post(action.group(1))


def members_of(app, slug):
    with app.app_context():
        rows = db.session.execute(
            select(Firm.registration_number, Firm.name_th, Membership.id)
            .join(Membership, Membership.firm_id == Firm.id)
            .where(Membership.cluster_id == factories.cluster(slug).id,
                   Membership.status == MembershipStatus.APPROVED).order_by(Firm.registration_number)
        ).all()
        positions = {
            m.id: sorted(p.position.value for p in m.positions)
            for m in db.session.scalars(select(Membership).where(Membership.id.in_([r[2] for r in rows]))
                                        .options(selectinload(Membership.positions)))
        } if rows else {}
        return [(number, name, positions[mid]) for number, name, mid in rows]


def test_export_opens_in_excel_with_thai_text(coordinator):
    response = coordinator.get("/clusters/betta/manage/members.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Thai correctly
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "เลขทะเบียนนิติบุคคล"
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number[NUMBERS[0]][1] == "ฟาร์มปลากัดบางกอก"
    assert by_number[NUMBERS[0]][3] == "นครปฐม" and by_number[NUMBERS[0]][4] == "ต้นน้ำ, ปลายน้ำ"
    assert by_number[NUMBERS[1]][1] == 'ร้านปลาสวยงาม "ไทยแท้", สาขา 2'  # quotes and commas survive


def test_round_trip_export_then_import_into_another_cluster(app, coordinator, th):
    exported = coordinator.get("/clusters/betta/manage/members.csv").data
    # Into the same cluster: nothing to change.
    same = upload(coordinator, "betta", exported)
    assert same.status_code == 200 and th("Nothing to change.") in body(same)
    assert 'action="/clusters/betta/manage/import/' not in body(same)  # nothing to confirm
    # Into Cosplay: the same firms, the same positions, no duplicates.
    preview = upload(coordinator, "cosplay", exported)
    assert members_of(app, "cosplay") == []  # a preview writes nothing
    assert confirm(coordinator, "cosplay", preview).status_code == 302
    assert members_of(app, "cosplay") == members_of(app, "betta")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Firm)) == 2


def test_formulas_in_a_member_list_reach_excel_as_text(app, coordinator):
    """A name typed as a formula would run in the coordinator's Excel ("CSV injection"); phone numbers such as
    +66… stay numbers. Importing the export into another cluster gives back the names as typed."""
    formula = '=HYPERLINK("http://evil.example","คลิก")'
    with app.app_context():
        firm = factories.firm(name_th=formula, name_en="@SUM(1+1)", registration_number=NUMBERS[2],
                              phone="+66812345678")
        factories.membership(firm, factories.cluster("betta"), Position.UPSTREAM)
        db.session.commit()
    exported = coordinator.get("/clusters/betta/manage/members.csv").data
    row = next(r for r in csv.reader(io.StringIO(exported.decode("utf-8-sig"))) if r[0] == NUMBERS[2])
    assert row[1:3] == ["'" + formula, "'@SUM(1+1)"] and row[6] == "081 234 5678"
    assert confirm(coordinator, "cosplay", upload(coordinator, "cosplay", exported)).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Firm.name_th == formula)) == 1


def test_english_export_imports_too(app, coordinator):
    coordinator.get("/auth/lang/en?next=/")  # the coordinator's language preference becomes English
    exported = coordinator.get("/clusters/betta/manage/members.csv").data.decode("utf-8-sig")
    assert exported.startswith("Registration number,")
    assert "Upstream, Downstream" in exported
    confirm(coordinator, "cosplay", upload(coordinator, "cosplay", exported.encode("utf-8")))
    assert members_of(app, "cosplay") == members_of(app, "betta")


BAD_FILE = (
    "เลขทะเบียนนิติบุคคล,ชื่อภาษาไทย,จังหวัด,ตำแหน่ง,อีเมลติดต่อ\n"
    f"{NUMBERS[2]},บริษัท คอสเพลย์ไทย จำกัด,กรุงเทพมหานคร,กลางน้ำ,owner@cosplay.example\n"
    "0105567000128,ผิดเลขตรวจสอบ,กรุงเทพมหานคร,ต้นน้ำ,\n"
    f"{NUMBERS[0]},ฟาร์มปลากัดบางกอก,นครปฐม,sideways,\n"
    ",ไม่มีเลข,กรุงเทพมหานคร,ต้นน้ำ,\n"
    f"{NUMBERS[2]},ซ้ำ,กรุงเทพมหานคร,ต้นน้ำ,\n"
)


def test_bad_rows_are_reported_by_line_and_nothing_is_written(app, coordinator, th):
    with app.app_context():
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = upload(coordinator, "cosplay", BAD_FILE.encode("utf-8"))
    page = body(response)
    for line in (3, 4, 5, 6):
        assert th("Line %(line)s", line=line) in page
    assert th("The registration number %(number)s is not valid.", number="0105567000128") in page
    assert "sideways" in page
    assert th("The same registration number is on line %(line)s.", line=2) in page
    assert 'action="/clusters/cosplay/manage/import/' not in page  # cannot be confirmed
    assert members_of(app, "cosplay") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Firm)) == 2
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_apply_refuses_a_plan_with_errors(app, coordinator):
    from portal.exceptions import RuleViolation
    from portal.memberships import csv_io, services

    with app.test_request_context():
        cluster = factories.cluster("cosplay")
        plan = csv_io.plan_import(BAD_FILE.encode("utf-8"), cluster)
        assert plan.errors and plan.count("new_firm") == 1
        from portal.auth.models import User

        user = db.session.scalar(select(User).where(User.email == "coord@example.com"))
        with pytest.raises(RuleViolation):
            services.apply_import(user, cluster, plan)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Firm)) == 2


def test_unknown_firms_become_unclaimed_profiles_and_their_contact_claims_them(app, coordinator, mailbox):
    content = ("\ufeffRegistration number,Name in Thai,Name in English,Province,Positions,Contact e-mail\n"
               f"{NUMBERS[2]},บริษัท วิกผมสยาม จำกัด,Siam Wigs Co.,Bangkok,upstream,Owner@Wigs.example\n")
    preview = upload(coordinator, "cosplay", content.encode("utf-8"))
    assert "บริษัท วิกผมสยาม จำกัด" in body(preview)
    assert confirm(coordinator, "cosplay", preview).status_code == 302
    with app.app_context():
        firm = db.session.scalar(select(Firm).where(Firm.registration_number == NUMBERS[2]))
        assert firm.created_by_id is not None and firm.public_listing_consent_at is None
        assert db.session.scalar(select(func.count()).select_from(FirmMember).where(FirmMember.firm_id == firm.id)) == 0
        invitation = db.session.scalar(select(FirmInvitation).where(FirmInvitation.firm_id == firm.id))
        assert invitation.role is FirmRole.OWNER and invitation.email == "owner@wigs.example"
        firm_id, creator = firm.id, firm.created_by_id
    assert members_of(app, "cosplay") == [(NUMBERS[2], "บริษัท วิกผมสยาม จำกัด", ["upstream"])]
    link = mailbox.link_in(mailbox.last_to("owner@wigs.example"), "/firms/invitations/")
    with app.app_context():
        factories.user(email="owner@wigs.example", confirmed=False)
        db.session.commit()
    claimant = app.test_client()
    factories.sign_in(claimant, "owner@wigs.example")
    assert claimant.post(link).status_code == 302
    with app.app_context():
        from portal.auth.models import User

        claimant_id = db.session.scalar(select(User.id).where(User.email == "owner@wigs.example"))
        assert db.session.get(FirmMember, (firm_id, claimant_id)).role is FirmRole.OWNER
        assert creator != claimant_id
    assert claimant.get(f"/firms/{firm_id}/edit").status_code == 200


def test_claim_invitations_go_in_the_recipients_language_not_the_coordinators(app, coordinator, mailbox, th):
    """#17.11a: an English-reading coordinator imports Thai firms: the claim invitation goes in Thai (the
    firm's language), unless the address has an account, whose language then wins."""
    coordinator.post("/auth/lang/en?next=/")  # the coordinator reads English, pages and e-mails
    with app.app_context():
        factories.user(email="reader@wigs.example", locale="en")
        db.session.commit()
    content = ("Registration number,Name in Thai,Name in English,Province,Positions,Contact e-mail\n"
               f"{NUMBERS[2]},บริษัท วิกผมสยาม จำกัด,Siam Wigs Co.,Bangkok,upstream,Owner@Wigs.example\n"
               "0105536001247,บริษัท ชุดคอสเพลย์ จำกัด,,Bangkok,midstream,Reader@Wigs.example\n")
    assert confirm(coordinator, "cosplay", upload(coordinator, "cosplay", content.encode("utf-8"))).status_code == 302
    unclaimed = mailbox.last_to("owner@wigs.example")
    assert unclaimed["Subject"] == th("Your firm is listed on the Cluster Portal: claim its profile")
    assert "บริษัท วิกผมสยาม จำกัด" in mailbox.body(unclaimed)
    assert mailbox.last_to("reader@wigs.example")["Subject"] == (
        "Your firm is listed on the Cluster Portal: claim its profile")


def test_thai_windows_csv_is_read(app, coordinator):
    content = ("เลขทะเบียนนิติบุคคล,ชื่อภาษาไทย,จังหวัด,ตำแหน่ง\n"
               f"{NUMBERS[2]},บริษัท ผ้าไทย จำกัด,เชียงใหม่,ต้นน้ำ; กลางน้ำ\n").encode("cp874")
    confirm(coordinator, "cosplay", upload(coordinator, "cosplay", content))
    assert members_of(app, "cosplay") == [(NUMBERS[2], "บริษัท ผ้าไทย จำกัด", ["midstream", "upstream"])]


@pytest.mark.parametrize("content, message", [
    (b"", "The file is empty."),
    (b"name,other\nx,y\n", "Missing column(s): %(columns)s."),
    (b"\xff\xfe\x00\x00garbage\x81\x8d", None),
])
def test_unusable_files_are_explained(app, coordinator, th, content, message):
    response = upload(coordinator, "cosplay", content)
    assert response.status_code == 200
    if message and "%(" not in message:
        assert th(message) in body(response)
    assert 'action="/clusters/cosplay/manage/import/' not in body(response)
    assert members_of(app, "cosplay") == []


@pytest.mark.parametrize("content", [
    f"เลขทะเบียนนิติบุคคล,ชื่อภาษาไทย,จังหวัด,ตำแหน่ง\n{NUMBERS[2]},ผ้า\x00ไทย,เชียงใหม่,ต้นน้ำ\n".encode(),
    "registration number,positions\n".encode("utf-16-le"),  # Excel's "Unicode text", without its BOM
], ids=["nul-in-a-name", "utf-16"])
def test_files_with_nul_characters_are_not_text(app, coordinator, th, content):
    """A NUL would be refused by PostgreSQL when the new firm is saved (a 500 found by the fuzz tests)."""
    response = upload(coordinator, "cosplay", content)
    assert response.status_code == 200
    assert th("The file is not UTF-8 or Thai Windows text. Save it as CSV UTF-8 and try again.") in body(response)
    assert 'action="/clusters/cosplay/manage/import/' not in body(response)


def test_a_preview_cannot_be_confirmed_by_someone_else(app, coordinator):
    exported = coordinator.get("/clusters/betta/manage/members.csv").data
    preview = upload(coordinator, "cosplay", exported)
    action = re.search(r'action="(/clusters/cosplay/manage/import/[0-9a-f]+)"', body(preview)).group(1)
    with app.app_context():
        other = factories.user(email="other.coord@example.com")
        factories.term(other, factories.cluster("cosplay"))
        db.session.commit()
    intruder = app.test_client()
    factories.sign_in(intruder, "other.coord@example.com")
    intruder.post(action)
    assert members_of(app, "cosplay") == []


NOT_A_TABLE = ("This is not a CSV or Excel file. Save the member list as CSV UTF-8 or as an Excel workbook (.xlsx) "
               "and upload that file.")
HEADER = "เลขทะเบียนนิติบุคคล,ชื่อภาษาไทย,จังหวัด,ตำแหน่ง,สิ่งที่ต้องการ\n"
MALFORMED = {
    # One cell over the csv module's field limit (131,072 characters) used to answer 500.
    "huge-field": ((HEADER + f'{NUMBERS[2]},"{"ก" * 140_000}",เชียงใหม่,ต้นน้ำ,\n').encode(),
                   "Line %(line)s", {"line": 2}, "A cell is longer than %(num)s characters.", {"num": "131,072"}),
    "nul-bytes": ((HEADER + f"{NUMBERS[2]},ผ้าไทย,เชียงใหม่,ต้นน้ำ,\x00\n").encode(), None, {},
                  "The file is not UTF-8 or Thai Windows text. Save it as CSV UTF-8 and try again.", {}),
    "wrong-encoding": (HEADER.encode("utf-16"), None, {},
                       "The file is not UTF-8 or Thai Windows text. Save it as CSV UTF-8 and try again.", {}),
    "binary-junk": (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8, None, {}, NOT_A_TABLE, {}),
    # The quote opened on line 2 is never closed: the rest of the file would silently become one cell.
    "unterminated-quote": ((HEADER + f'{NUMBERS[2]},ผ้าไทย,เชียงใหม่,ต้นน้ำ,"ผู้ส่งออก\n'
                            f"{NUMBERS[0]},ฟาร์ม,นครปฐม,ต้นน้ำ,\n").encode(),
                           "Line %(line)s", {"line": 2},
                           "A quoted cell is not closed, or has other characters after its closing quote. "
                           "Check the quotes and try again.", {}),
    "empty-file": (b"", None, {}, "The file is empty.", {}),
    "only-a-bom": (b"\xef\xbb\xbf\r\n", None, {}, "The file is empty.", {}),
    "missing-header": (f"{NUMBERS[2]},ผ้าไทย,เชียงใหม่,ต้นน้ำ\n".encode(), "Line %(line)s", {"line": 1},
                       "The first line must name the columns, as in the export.", {}),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_files_get_a_file_error_and_change_nothing(app, coordinator, th, name):
    content, where, where_values, message, values = MALFORMED[name]
    with app.app_context():
        before = [db.session.scalar(select(func.count()).select_from(table))
                  for table in (Firm, Membership, AuditEntry, FirmInvitation)]
    response = upload(coordinator, "cosplay", content)
    assert response.status_code == 200
    page = body(response)
    assert th(message, **values) in page
    if where:
        assert th(where, **where_values) in page
    assert 'action="/clusters/cosplay/manage/import/' not in page  # nothing to confirm
    with app.app_context():
        assert [db.session.scalar(select(func.count()).select_from(table))
                for table in (Firm, Membership, AuditEntry, FirmInvitation)] == before


def test_lines_ended_by_carriage_returns_alone_are_read(app, coordinator):
    """Old Mac Excel ends lines with "\\r" only; the csv module refused them with an error (a 500)."""
    content = ("เลขทะเบียนนิติบุคคล,ชื่อภาษาไทย,จังหวัด,ตำแหน่ง\r"
               f"{NUMBERS[2]},บริษัท ผ้าไทย จำกัด,เชียงใหม่,ต้นน้ำ\r").encode()
    confirm(coordinator, "cosplay", upload(coordinator, "cosplay", content))
    assert members_of(app, "cosplay") == [(NUMBERS[2], "บริษัท ผ้าไทย จำกัด", ["upstream"])]


def test_no_file_chosen_is_asked_for(app, coordinator, th):
    response = coordinator.post("/clusters/cosplay/manage/import", data={"file": (io.BytesIO(b""), "")},
                                content_type="multipart/form-data")
    assert response.status_code == 200 and th("Please choose a CSV or Excel file.") in body(response)


def _contacts_in_export(client, slug):
    rows = list(csv.reader(io.StringIO(client.get(f"/clusters/{slug}/manage/members.csv").data.decode("utf-8-sig"))))
    return {row[0]: tuple(row[6:9]) for row in rows[1:]}


def test_export_shows_contacts_only_where_the_firm_page_would(app, coordinator):
    """One contact rule for pages and exports (can_view_firm_contacts): a coordinator gets the contacts of a
    firm that consented to a public listing, not of a members-only one; OSMEP staff get both."""
    from portal.auth.models import Role, User
    from portal.permissions import can_view_firm_contacts

    with app.app_context():
        listed = factories.firm(name_th="ฟาร์มเปิดเผย", registration_number="0105536001239", phone="+66811111111",
                                email="listed@example.com", line_id="listed")
        private = factories.firm(name_th="ฟาร์มสมาชิกเท่านั้น", registration_number="0105540000012",
                                 phone="+66822222222", email="private@example.com", line_id="private",
                                 public_listing_consent_at=None)
        cosplay = factories.cluster("cosplay")
        factories.membership(listed, cosplay)
        factories.membership(private, cosplay)
        factories.user(email="staff@example.com", role=Role.STAFF)
        db.session.commit()
        coordinator_user = db.session.scalar(select(User).where(User.email == "coord@example.com"))  # the rule says:
        assert can_view_firm_contacts(coordinator_user, listed)
        assert not can_view_firm_contacts(coordinator_user, private)
    staff = app.test_client()
    factories.sign_in(staff, "staff@example.com")

    assert _contacts_in_export(coordinator, "cosplay") == {
        "0105536001239": ("081 111 1111", "listed@example.com", "listed"),
        "0105540000012": ("", "", ""),
    }
    assert _contacts_in_export(staff, "cosplay") == {
        "0105536001239": ("081 111 1111", "listed@example.com", "listed"),
        "0105540000012": ("082 222 2222", "private@example.com", "private"),
    }


# --- #17.8: what the preview says, and Back after confirming ---------------------------------------------------

def test_the_preview_counts_each_change_in_words_and_shows_positions_from_and_to(app, coordinator, th):
    content = ("Registration number,Name in Thai,Province,Positions\n"
               f"{NUMBERS[0]},ฟาร์มปลากัดบางกอก,นครปฐม,midstream\n"  # was upstream and downstream
               f"{NUMBERS[1]},,,midstream\n"  # as it is
               f"{NUMBERS[2]},บริษัท วิกผมสยาม จำกัด,Bangkok,upstream\n").encode()
    coordinator.get("/?lang=en")
    page = body(upload(coordinator, "betta", content))
    assert "1 firm new to the portal: a new profile (unclaimed), joining the cluster" in page
    assert "1 member with changed positions" in page and "1 row without change" in page
    assert "Positions change from Upstream, Downstream to Midstream" in page
    assert "New profile, joins the cluster" in page
    assert "Import these 2 changes" in page
    assert ": 0<" not in page and "firms already on the portal" not in page  # kinds that do not occur are not listed
    coordinator.get("/?lang=th")
    thai = body(coordinator.get(re.search(r'action="(/clusters/betta/manage/import/[0-9a-f]+)"', page).group(1)))
    assert th("%(num)s member with changed positions", plural="%(num)s members with changed positions", num=1) in thai
    assert th("Positions change from %(before)s to %(after)s", before="ต้นน้ำ, ปลายน้ำ", after="กลางน้ำ") in thai


def test_the_preview_is_a_page_of_its_own_and_back_after_confirming_does_not_resubmit(app, coordinator, th):
    """Post/Redirect/Get: the upload and the confirmation both answer with a redirect, so Back and reload
    only ever GET the preview, which then says the file was confirmed; a second confirmation does nothing."""
    from portal.memberships.models import MemberImport

    exported = coordinator.get("/clusters/betta/manage/members.csv").data
    uploaded = coordinator.post("/clusters/cosplay/manage/import", data={"file": (io.BytesIO(exported), "m.csv")},
                                content_type="multipart/form-data")
    assert uploaded.status_code == 302 and re.fullmatch(r"/clusters/cosplay/manage/import/[0-9a-f]{32}",
                                                        uploaded.location)
    preview_url = uploaded.location
    preview = coordinator.get(preview_url)
    assert preview.status_code == 200 and f'action="{preview_url}"' in body(preview)
    assert coordinator.get(preview_url).status_code == 200 and members_of(app, "cosplay") == []  # reload: no harm
    done = coordinator.post(preview_url)
    assert done.status_code == 302 and "/clusters/cosplay/manage/imports/" in done.location
    back = coordinator.get(preview_url)
    assert back.status_code == 200
    assert th("You have confirmed this file") in body(back) and done.location in body(back)
    assert f'action="{preview_url}"' not in body(back)  # nothing to confirm again
    again = coordinator.post(preview_url)
    assert again.status_code == 302 and again.location == "/clusters/cosplay/manage/import"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MemberImport)) == 1
    assert len(members_of(app, "cosplay")) == 2

    with app.app_context():
        other = factories.user(email="other.coord@example.com")
        factories.term(other, factories.cluster("cosplay"))
        db.session.commit()
    intruder = app.test_client()
    factories.sign_in(intruder, "other.coord@example.com")
    assert intruder.get(preview_url).location == "/clusters/cosplay/manage/import"  # not theirs to see


def test_a_confirmation_after_the_members_changed_goes_back_to_the_preview(app, coordinator, th):
    exported = coordinator.get("/clusters/betta/manage/members.csv").data
    preview_url = coordinator.post("/clusters/cosplay/manage/import", data={"file": (io.BytesIO(exported), "m.csv")},
                                   content_type="multipart/form-data").location
    with app.app_context():
        other = factories.user(email="other.coord@example.com")
        factories.term(other, factories.cluster("cosplay"))
        db.session.commit()
    colleague = app.test_client()
    factories.sign_in(colleague, "other.coord@example.com")
    confirm(colleague, "cosplay", upload(colleague, "cosplay", exported))  # a colleague imported the same list
    stale = coordinator.post(preview_url, follow_redirects=True)
    assert stale.request.path == preview_url
    assert th("The members changed since your preview: check the file again.") in body(stale)
    assert th("Nothing to change.") in body(stale) and f'action="{preview_url}"' not in body(stale)
    assert len(members_of(app, "cosplay")) == 2
