"""#17.12: e-mail subjects cut at a word or grapheme boundary with spaces collapsed; hide/restore e-mails
name the listing."""
import unicodedata

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import _short, message
from tests.helpers import signed_in
from tests.test_moderation import world  # noqa: F401  (fixture)


@pytest.mark.parametrize(("text", "expected"), [
    ("Looking for  a   supplier of\n halfmoon betta fish for export to Japan and Europe, urgently please",
     "Looking for a supplier of halfmoon betta fish for export to Japan and…"),
    ("  short \n text ", "short text"),
])
def test_subjects_are_cut_at_a_space_with_spaces_collapsed(text, expected):
    assert _short(text) == expected


@pytest.mark.parametrize("text", ["ก" * 68 + "ำ่่" + "abc", "หาผู้ส่งปลากัด" * 10, "ก" * 68 + "เกา" * 5])
def test_thai_subjects_are_never_cut_inside_a_syllable_s_marks(text):
    short = _short(text)
    assert short.endswith("…") and len(short) <= 70
    kept = short[:-1]
    rest = text[len(kept):]
    assert text.startswith(kept)
    assert unicodedata.category(rest[0]) != "Mn" and rest[0] not in "\u0e33"  # the cut is before a new grapheme
    assert kept[-1] not in "\u0e40\u0e41\u0e42\u0e43\u0e44"  # no leading vowel left without its consonant


def test_hide_and_restore_mails_name_the_listing(app, world, mailbox):  # noqa: F811
    staff = signed_in(app, "staff@example.com")
    target = f"/moderation/request/{world['request']}"
    staff.post(target, data={"action": "hide", "reason": "โฆษณา"})
    hidden = mailbox.last_to("owner@example.com")
    assert "ขายคอร์สรวยเร็ว คลิกเลย" in mailbox.body(hidden)
    staff.post(target, data={"action": "restore", "reason": "แก้ไขแล้ว"})
    assert "ขายคอร์สรวยเร็ว คลิกเลย" in mailbox.body(mailbox.last_to("owner@example.com"))
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.kind.startswith("moderation."))
                                   .order_by(Notification.id)).all()
        assert message(notes[0], "en") == "OSMEP staff hid your request “ขายคอร์สรวยเร็ว คลิกเลย”: โฆษณา"
        assert message(notes[-1], "th") == "เจ้าหน้าที่ สสว. ได้นำคำขอ “ขายคอร์สรวยเร็ว คลิกเลย” ของคุณกลับมาแสดงผลแล้ว"
        notes[0].params = {"reason": "old"}  # recorded before listings were named
        assert message(notes[0], "en") == "OSMEP staff hid one of your listings: old"
        db.session.rollback()
