"""Firm profiles: create and edit with validation, logos, privacy (PDPA), team and invitations."""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm, FirmMember, FirmRole, LegalForm, Province
from tests import factories
from tests.helpers import body

VALID_NUMBER = "0105567000129"


def png_bytes(size=(64, 48), color=(200, 30, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def owner(app):
    with app.app_context():
        user = factories.user(email="owner@example.com", name="เจ้าของ")
        db.session.commit()
        return user.id


@pytest.fixture
def owner_client(app, owner):
    client = app.test_client()
    assert factories.sign_in(client, "owner@example.com").status_code == 302
    return client


def bangkok_id(app):
    with app.app_context():
        return db.session.scalar(select(Province.id).where(Province.code == "10"))


def firm_form(app, **overrides):
    data = {
        "name_th": "ฟาร์มปลากัดบางกอก",
        "name_en": "Bangkok Betta Farm",
        "legal_form": "juristic_person",
        "registration_number": "0-1055-67000-12-9",
        "province_id": str(bangkok_id(app)),
        "size": "small",
        "founded_year": "2555",
        "description_th": "เพาะพันธุ์ปลากัดเกรดส่งออก",
        "products_th": "ปลากัดฮาล์ฟมูน",
        "phone": "081-234-5678",
        "contact_email": "Farm@Example.com",
        "line_id": "@BettaFarm",
        "website": "bettafarm.example.co.th",
        "public_listing": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count_firms(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Firm))


def only_firm(app) -> Firm:
    with app.app_context():
        firm = db.session.scalar(select(Firm))
        db.session.expunge(firm)
        return firm


def test_create_firm_normalises_input_and_makes_the_creator_owner(app, owner, owner_client):
    response = owner_client.post("/firms/new?lang=th", data=firm_form(app))
    assert response.status_code == 302, body(response)
    firm = only_firm(app)
    assert firm.registration_number == VALID_NUMBER
    assert firm.phone == "+66812345678"
    assert firm.email == "farm@example.com" and firm.line_id == "@bettafarm"
    assert firm.website == "https://bettafarm.example.co.th"
    assert firm.founded_year == 2012  # typed in the Buddhist Era
    assert firm.public_listing_consent_at is not None and firm.created_by_id == owner
    with app.app_context():
        member = db.session.get(FirmMember, (firm.id, owner))
        assert member.role is FirmRole.OWNER
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "firm.created"))
    page = body(owner_client.get(response.location))
    assert "081 234 5678" in page and "พ.ศ. 2555" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name_th": ""}, "This field is required."),
        ({"registration_number": "0105567000128"}, "This registration number is not valid: please check the digits."),
        ({"registration_number": "010556700012"}, "A registration number has 13 digits."),
        ({"registration_number": ""}, "A juristic person needs its 13-digit registration number."),
        ({"phone": "12345"}, "Enter a Thai phone number, for example 081 234 5678 or 02 123 4567."),
        ({"phone": "+1 212 555 0100"}, "Enter a Thai phone number, for example 081 234 5678 or 02 123 4567."),
        ({"line_id": "a b"}, "A LINE ID has 4 to 20 letters, digits, dots, dashes or underscores (e.g. @bettafarm)."),
        ({"website": "javascript:alert(1)"}, "Enter a website address, for example https://example.co.th."),
        ({"website": "["}, "Enter a website address, for example https://example.co.th."),
        ({"website": "http://[::1"}, "Enter a website address, for example https://example.co.th."),
        ({"founded_year": "3000"}, None),
        ({"province_id": "9999"}, "Please choose a province."),
        ({"legal_form": "llc"}, None),
        ({"size": "huge"}, None),
        ({"contact_email": "not-an-address"}, "Please enter a valid e-mail address."),
        ({"name_th": "ก" * 201}, None),
    ],
)
def test_invalid_input_is_refused_with_a_thai_message_and_changes_nothing(app, owner_client, th, overrides, message):
    response = owner_client.post("/firms/new?lang=th", data=firm_form(app, **overrides))
    assert response.status_code == 200
    page = body(response)
    assert 'class="errors"' in page and th("Please correct the highlighted fields.") in page
    if message:
        assert th(message) in page
    assert count_firms(app) == 0


def test_registration_number_is_unique(app, owner_client):
    assert owner_client.post("/firms/new", data=firm_form(app)).status_code == 302
    again = owner_client.post("/firms/new?lang=en", data=firm_form(app, name_th="อีกกิจการ"))
    assert again.status_code == 200 and "already on the portal" in body(again)
    assert count_firms(app) == 1


def test_registration_number_is_ignored_for_non_juristic_firms(app, owner_client):
    data = firm_form(app, legal_form="community_enterprise", registration_number="garbage")
    assert owner_client.post("/firms/new", data=data).status_code == 302
    assert only_firm(app).registration_number is None


def upload(client, app, content: bytes, filename="logo.png", path="/firms/new?lang=th", **overrides):
    data = firm_form(app, **overrides)
    data["logo"] = (io.BytesIO(content), filename)
    return client.post(path, data=data, content_type="multipart/form-data")


def test_logo_is_re_encoded_and_served_under_a_generated_name(app, owner_client):
    response = upload(owner_client, app, png_bytes(size=(1200, 900)), filename="../../evil name.png")
    assert response.status_code == 302
    firm = only_firm(app)
    assert re.fullmatch(r"[0-9a-f]{32}\.webp", firm.logo_filename)
    served = owner_client.get(f"/firms/{firm.id}/logo/{firm.logo_filename}")
    assert served.status_code == 200
    assert served.mimetype == "image/webp" and served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "WEBP" and max(image.size) <= 512
    assert owner_client.get(f"/firms/{firm.id}/logo/evil.png").status_code == 404
    assert f"/firms/{firm.id}/logo/{firm.logo_filename}" in body(owner_client.get(f"/firms/{firm.id}"))


def decompression_bomb() -> bytes:
    """A tiny file that claims 30,000 x 30,000 pixels (900 megapixels)."""
    out = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(out, format="PNG")
    return out.getvalue()


NOT_AN_IMAGE = "This file is not an image we can read. Please upload a PNG, JPEG or WebP."


@pytest.mark.parametrize(
    "content, filename, message",
    [
        (b"this is plain text, not an image", "logo.png", NOT_AN_IMAGE),
        (b"", "empty.png", "The logo file is empty."),
        (png_bytes(fmt="GIF"), "logo.gif", "The logo must be a PNG, JPEG or WebP image."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "broken.png", NOT_AN_IMAGE),
        (b"0" * (10 * 1024 * 1024 + 1), "huge.png",
         "The logo must be %(size)s or smaller. Please choose a smaller image."),
        ("BOMB", "bomb.png", "The logo has too many pixels. Please upload a smaller image."),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_saved(app, owner_client, th, content, filename, message):
    content = decompression_bomb() if content == "BOMB" else content
    response = upload(owner_client, app, content, filename=filename)
    assert response.status_code == 200
    assert (th(message, size="10 MB") if "%(size)s" in message else th(message)) in body(response)
    assert count_firms(app) == 0


def test_no_file_chosen_means_no_logo(app, owner_client):
    data = firm_form(app)
    data["logo"] = (io.BytesIO(b""), "")
    assert owner_client.post("/firms/new", data=data, content_type="multipart/form-data").status_code == 302
    assert only_firm(app).logo_filename is None


def phone_photo(size=(4000, 3000), orientation=6) -> bytes:
    """A 12-megapixel JPEG held sideways (EXIF orientation 6: turn 90° clockwise to view)."""
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def test_a_phone_photo_is_turned_upright_and_shrunk_to_512(app, owner_client):
    assert upload(owner_client, app, phone_photo(), filename="IMG_0412.JPG").status_code == 302
    firm = only_firm(app)
    served = Image.open(io.BytesIO(owner_client.get(f"/firms/{firm.id}/logo/{firm.logo_filename}").data))
    assert served.size == (384, 512)  # portrait, as the phone showed it


def test_a_fifty_megapixel_jpeg_is_accepted_but_a_png_of_that_size_is_refused(app, owner_client, th):
    assert upload(owner_client, app, phone_photo(size=(8160, 6120), orientation=1)).status_code == 302
    big_png = png_bytes(size=(6000, 4000))  # 24 megapixels, decoded whole: too many
    response = upload(owner_client, app, big_png, registration_number="0105567000129", name_th="อีกกิจการ")
    assert response.status_code == 200
    assert th("The logo has too many pixels. Please upload a smaller image.") in body(response)


def test_the_form_names_the_logo_limit(app, owner_client, th):
    assert th("PNG, JPEG or WebP, up to %(size)s. A photo from your phone is fine: it is made smaller.",
              size="10 MB") in body(owner_client.get("/firms/new?lang=th"))


def test_a_request_over_the_limit_comes_back_as_the_form_with_the_limits_named(app, owner_client, th):
    response = upload(owner_client, app, b"0" * (21 * 1024 * 1024))
    page = body(response)
    assert response.status_code == 413 and 'enctype="multipart/form-data"' in page
    assert th("The file is larger than %(limit)s, the most the portal accepts at once; a logo may be at most "
              "%(size)s. Please choose a smaller image.", limit="20 MB", size="10 MB") in page
    assert count_firms(app) == 0


def test_a_request_over_the_limit_elsewhere_names_the_limit_and_offers_back(app, client, th):
    data = {"email": "x@example.com", "password": "0" * (21 * 1024 * 1024)}
    response = client.post("/auth/login?lang=th", data=data, headers={"Referer": "http://localhost/auth/login?x=1"})
    page = body(response)
    assert response.status_code == 413 and th("Too large") in page
    assert th("What you sent is larger than %(limit)s, the most the portal accepts at once. Please go back and "
              "send less, or a smaller file.", limit="20 MB") in page
    assert 'href="/auth/login?x=1"' in page and th("Back") in page
    other = client.post("/auth/login", data=data, headers={"Referer": "https://evil.example/"})
    assert "evil.example" not in body(other)


@pytest.mark.parametrize(("lang", "shown"), [("th", "2558"), ("en", "2015")])
def test_founded_year_is_shown_in_the_era_of_the_form(app, owner_client, lang, shown):
    """#17.12: a Thai form shows and takes the Buddhist Era, also when it comes back with an error elsewhere."""
    firm_id = make_firm(app, founded_year=2015)
    page = body(owner_client.get(f"/firms/{firm_id}/edit?lang={lang}"))
    assert re.search(rf'id="founded_year"[^>]*value="{shown}"', page)
    for typed in ("2558", "2015"):  # either era is understood, and shown back in the form's
        data = firm_form(app, founded_year=typed, name_th="", registration_number="0105567000129")
        page = body(owner_client.post(f"/firms/{firm_id}/edit?lang={lang}", data=data))
        assert re.search(rf'id="founded_year"[^>]*value="{shown}"', page), typed
    owner_client.post(f"/firms/{firm_id}/edit?lang={lang}", data=firm_form(app, founded_year=shown))
    with app.app_context():
        assert db.session.get(Firm, firm_id).founded_year == 2015


def make_firm(app, owner_email="owner@example.com", **values):
    from portal.auth.models import User

    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == owner_email))
        firm = factories.firm(phone="+66812345678", email="firm@example.com", line_id="@firm", **values)
        if owner is not None:
            factories.team_member(firm, owner, "owner")
        db.session.commit()
        return firm.id


def test_contacts_are_never_shown_to_anonymous_visitors(app, owner):
    firm_id = make_firm(app)
    anonymous = body(app.test_client().get(f"/firms/{firm_id}?lang=th"))
    assert "081 234 5678" not in anonymous and "firm@example.com" not in anonymous and "@firm" not in anonymous
    assert "เข้าสู่ระบบ" in anonymous
    with app.app_context():
        factories.user(email="stranger@example.com")
        db.session.commit()
    stranger = app.test_client()
    factories.sign_in(stranger, "stranger@example.com")
    page = body(stranger.get(f"/firms/{firm_id}"))
    assert "081 234 5678" in page and "firm@example.com" in page


def test_without_consent_a_firm_is_for_signed_in_members_only(app, owner):
    firm_id = make_firm(app, public_listing_consent_at=None)
    anonymous = app.test_client().get(f"/firms/{firm_id}")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location
    with app.app_context():
        factories.user(email="member2@example.com")
        db.session.commit()
    member = app.test_client()
    factories.sign_in(member, "member2@example.com")
    assert member.get(f"/firms/{firm_id}").status_code == 200


def test_hidden_firms_are_seen_only_by_their_team(app, owner, owner_client):
    firm_id = make_firm(app, hidden_at=utcnow(), hidden_reason="ข้อมูลซ้ำ")
    assert app.test_client().get(f"/firms/{firm_id}").status_code == 404
    page = owner_client.get(f"/firms/{firm_id}?lang=th")
    assert page.status_code == 200 and "ข้อมูลซ้ำ" in body(page)


def test_english_page_marks_thai_fallback(app, owner):
    firm_id = make_firm(app, name_th="ร้านกล้วยไม้ไทย", name_en=None, description_th="กล้วยไม้ส่งออก")
    page = body(app.test_client().get(f"/firms/{firm_id}?lang=en"))
    assert '<h1><span lang="th">ร้านกล้วยไม้ไทย</span></h1>' in page
    assert '<span lang="th">กล้วยไม้ส่งออก</span>' in page


def test_only_owners_and_editors_edit(app, owner, owner_client):
    firm_id = make_firm(app)
    assert app.test_client().get(f"/firms/{firm_id}/edit").location.startswith("/auth/login")
    with app.app_context():
        factories.user(email="stranger@example.com")
        db.session.commit()
    stranger = app.test_client()
    factories.sign_in(stranger, "stranger@example.com")
    assert stranger.get(f"/firms/{firm_id}/edit").status_code == 403
    assert stranger.post(f"/firms/{firm_id}/edit", data=firm_form(app, name_th="ยึด")).status_code == 403
    assert owner_client.get(f"/firms/{firm_id}/edit").status_code == 200
    assert owner_client.post(f"/firms/{firm_id}/edit", data=firm_form(app, name_th="ชื่อใหม่")).status_code == 302
    assert only_firm(app).name_th == "ชื่อใหม่"


def test_changing_the_registration_number_clears_verification(app, owner, owner_client):
    firm_id = make_firm(app, verified_at=utcnow(), legal_form=LegalForm.JURISTIC_PERSON,
                        registration_number=VALID_NUMBER)
    owner_client.post(f"/firms/{firm_id}/edit", data=firm_form(app))  # same number: stays verified
    assert only_firm(app).verified_at is not None
    owner_client.post(f"/firms/{firm_id}/edit", data=firm_form(app, registration_number="0105567000200"))
    firm = only_firm(app)
    assert firm.registration_number == "0105567000200" and firm.verified_at is None


def test_team_invitations_go_in_the_invitees_language_when_they_have_an_account(app, owner, owner_client,
                                                                             mailbox, th):
    """#17.11a: mail goes in the recipient's language; with no account, the inviter's is the best guess."""
    firm_id = make_firm(app)
    with app.app_context():
        factories.user(email="thai.reader@example.com", locale="th")
        factories.user(email="english.reader@example.com", locale="en")
        db.session.commit()
    thai_subject = th("You are invited to edit a firm on the Cluster Portal")
    english_subject = "You are invited to edit a firm on the Cluster Portal"
    for address, page_lang, subject in (("thai.reader@example.com", "en", thai_subject),
                                        ("english.reader@example.com", "th", english_subject),
                                        ("new.colleague@example.com", "en", english_subject),
                                        ("other.colleague@example.com", "th", thai_subject)):
        response = owner_client.post(f"/firms/{firm_id}/team?lang={page_lang}", data={"email": address})
        assert response.status_code == 302
        assert mailbox.last_to(address)["Subject"] == subject, address


def test_invitation_by_email_makes_an_editor_who_can_edit_but_not_manage(app, owner, owner_client, mailbox, th):
    firm_id = make_firm(app)
    response = owner_client.post(f"/firms/{firm_id}/team?lang=th", data={"email": "Editor@Example.com"})
    assert response.status_code == 302
    link = mailbox.link_in(mailbox.last_to("editor@example.com"), "/firms/invitations/")

    editor = app.test_client()
    assert editor.get(link).location.startswith("/auth/login")  # sign in (or register) first
    with app.app_context():
        factories.user(email="editor@example.com", confirmed=False)
        factories.user(email="someone.else@example.com")
        db.session.commit()
    wrong = app.test_client()
    factories.sign_in(wrong, "someone.else@example.com")
    refused = wrong.post(link, follow_redirects=True)
    assert "editor@example.com" in body(refused)  # sent to another address
    factories.sign_in(editor, "editor@example.com")
    assert editor.post(link).status_code == 302
    with app.app_context():
        from portal.auth.models import User

        editor_user = db.session.scalar(select(User).where(User.email == "editor@example.com"))
        assert db.session.get(FirmMember, (firm_id, editor_user.id)).role is FirmRole.EDITOR
        assert editor_user.is_confirmed  # the invitation proved the mailbox
        editor_id = editor_user.id
    assert editor.get(f"/firms/{firm_id}/edit").status_code == 200
    assert editor.post(f"/firms/{firm_id}/team", data={"email": "x@example.com"}).status_code == 403
    assert editor.post(f"/firms/{firm_id}/team/{owner}/remove").status_code == 403
    # Used once.
    assert th("This invitation has already been used or was withdrawn.") in body(
        editor.post(f"{link.split('?')[0]}?lang=th", follow_redirects=True))
    # The owner removes the editor; the owner cannot be removed.
    assert owner_client.post(f"/firms/{firm_id}/team/{editor_id}/remove").status_code == 302
    assert editor.get(f"/firms/{firm_id}/edit").status_code == 403
    removed_self = owner_client.post(f"/firms/{firm_id}/team/{owner}/remove?lang=th", follow_redirects=True)
    assert th("The owner cannot be removed from the firm.") in body(removed_self)


def test_a_user_may_belong_to_several_firms(app, owner, owner_client):
    first = make_firm(app, name_th="กิจการแรก")
    second = make_firm(app, name_th="กิจการที่สอง")
    page = body(owner_client.get("/firms/mine"))
    assert "กิจการแรก" in page and "กิจการที่สอง" in page
    assert f"/firms/{first}/edit" in page and f"/firms/{second}/edit" in page


@pytest.mark.parametrize(("lang", "message"), [
    ("th", "กรุณากรอกปี พ.ศ. ระหว่าง 2343 ถึง %s"),
    ("en", "Please enter a year between 1800 and %s."),
])
def test_founded_year_range_is_said_in_the_era_of_the_form(app, owner_client, lang, message):
    """#17.12: a Thai form takes and speaks Buddhist Era years; its error must not say "1800 and 2026"."""
    from portal.thai import bangkok_today

    response = owner_client.post(f"/firms/new?lang={lang}", data=firm_form(app, founded_year="3000"))
    assert response.status_code == 200
    year = bangkok_today().year + (543 if lang == "th" else 0)
    assert message % year in body(response)
    assert count_firms(app) == 0


@pytest.mark.parametrize(("line_id", "url"), [
    ("@bettafarm", "https://line.me/R/ti/p/%40bettafarm"),  # an official account: LINE's URL scheme
    ("somchai.farm", "https://line.me/ti/p/~somchai.farm"),  # a personal LINE ID
    ("a b", ""),
    (None, ""),
])
def test_a_line_id_links_to_its_add_friend_page(line_id, url):
    from portal.validators import line_url

    assert line_url(line_id) == url


def test_signed_in_members_can_tap_a_firm_s_line_id(app, owner_client):
    firm_id = make_firm(app)  # LINE ID @firm
    assert 'href="https://line.me/R/ti/p/%40firm"' in body(owner_client.get(f"/firms/{firm_id}"))
