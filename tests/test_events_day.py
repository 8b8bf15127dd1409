"""The matching day itself: a firm's agenda page, .ics and PDF; check-in by QR link or typed code; meetings
marked held or no-show and rated; the reminders the day before. Meetings are placed straight in the database
(tests/events_day_helpers.py); the scheduler is another feature."""
import io
from datetime import timedelta

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.events import agenda, agenda_pdf
from portal.events.models import EventSession, Meeting, MeetingState, Registration
from portal.extensions import db
from portal.notifications.models import Notification
from portal.outbox.models import OutboxMessage
from portal.thai import BANGKOK, bangkok_today
from tests.events_day_helpers import matching_day
from tests.helpers import body, load_cast, signed_in

WATER = "บริษัท น้ำดี จำกัด"  # SARA AM after a tone mark and alone, and SARA AA elsewhere on the page


@pytest.fixture
def day(app, cast):
    """The event's ids: event, firms, registrations' tokens and codes, meetings."""
    with app.test_request_context("/"):
        roles = load_cast(cast)
        roles.firms["B"].name_th = WATER
        event, regs, meetings = matching_day(roles, started=True)
        db.session.commit()
        return {"event": event.id, "A": roles.firms["A"].id, "B": roles.firms["B"].id, "K": roles.firms["K"].id,
                "token": regs["A"].checkin_token, "code": regs["A"].checkin_code, "reg_a": regs["A"].id,
                "ab": meetings["ab"].id, "ka": meetings["ka"].id}


def _agenda(day, firm="A", suffix=""):
    return f"/events/{day['event']}/agenda/{day[firm]}{suffix}"


def test_the_agenda_lists_the_firms_meetings_in_time_order_with_its_check_in_code(app, cast, day):
    page = body(signed_in(app, cast.email("owner")).get(_agenda(day)))
    # K→A is in the first slot, A→B in the second; the other firm linked, its table and the reason
    assert page.index("กิจการ K") < page.index("หาผู้ซื้อ") < page.index(WATER) < page.index("คุยเรื่องปลากัดส่งออก")
    assert f'/firms/{day["B"]}"' in page and "คุยเรื่องปลากัดส่งออก" in page and "หาผู้ซื้อ" in page
    assert "<svg" in page and "<script" not in page.split("<main", 1)[-1].split("</main>")[0]
    assert f"{day['code'][:4]}-{day['code'][4:]}" in page
    assert str(bangkok_today().year + 543) in page  # Thai dates in the Buddhist Era
    with app.test_request_context("/"):
        registration = db.session.get(Registration, day["reg_a"])
        assert agenda.checkin_url(registration) == f"http://localhost/events/checkin/{day['token']}"


@pytest.mark.parametrize(("who", "firm", "status"), [
    ("owner", "A", 200), ("editor", "A", 200), ("owner_of_two", "B", 200), ("coordinator", "A", 200),
    ("staff", "B", 200), ("owner_of_two", "A", 403), ("owner", "B", 403), ("owner_c", "A", 403),
    ("stranger", "K", 403), ("other_coordinator", "A", 403),
])
def test_who_sees_an_agenda(app, cast, day, who, firm, status):
    client = signed_in(app, cast.email(who))
    for suffix in ("", "/agenda.ics"):
        assert client.get(_agenda(day, firm, suffix)).status_code == status


def test_anonymous_go_to_sign_in_and_unknown_agendas_are_404(app, cast, day, client):
    assert client.get(_agenda(day)).status_code == 302
    owner = signed_in(app, cast.email("owner"))
    assert owner.get(f"/events/{day['event']}/agenda/{cast.firms['C']}").status_code == 404
    assert owner.get(f"/events/{day['event'] + 999}/agenda/{day['A']}").status_code == 404


def test_the_ics_file_reads_back_with_bangkok_times_and_stable_uids(app, cast, day):
    owner = signed_in(app, cast.email("owner"))
    first, second = (owner.get(_agenda(day, suffix="/agenda.ics")) for _ in range(2))
    assert first.mimetype == "text/calendar"
    calendar = Calendar.from_ical(first.data)
    entries = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in entries] == [f"meeting-{day['ka']}@localhost", f"meeting-{day['ab']}@localhost"]
    assert [str(e["uid"]) for e in Calendar.from_ical(second.data).walk("VEVENT")] == [str(e["uid"]) for e in entries]
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Bangkok"]
    assert b"DTSTART;TZID=Asia/Bangkok:" in first.data
    with app.app_context():
        ka, ab = db.session.get(Meeting, day["ka"]), db.session.get(Meeting, day["ab"])
        assert [e.decoded("dtstart") for e in entries] == [ka.slot.starts_at.replace(microsecond=0),
                                                            ab.slot.starts_at.replace(microsecond=0)]
        assert entries[1].decoded("dtstart").tzinfo.key == BANGKOK.key
        assert entries[1].decoded("dtend") - entries[1].decoded("dtstart") == timedelta(minutes=20)
    assert "กิจการ K" in str(entries[0]["summary"]) and WATER in str(entries[1]["summary"])
    english = Calendar.from_ical(owner.get(_agenda(day, suffix="/agenda.ics?lang=en")).data).walk("VEVENT")
    assert str(english[0]["summary"]) == "Meeting with Firm K"


def _pdf(response):
    reader = PdfReader(io.BytesIO(response.data))
    text = agenda_pdf.from_pdf_text("".join(page.extract_text() for page in reader.pages))
    fonts = [f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    embedded = [str(f["/BaseFont"]) for f in fonts
                if "/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()]
    assert len(embedded) == len(fonts)  # every font used is in the file
    return text, embedded


def test_the_pdf_agenda_carries_correct_thai_and_embeds_its_fonts(app, cast, day):
    owner = signed_in(app, cast.email("owner"))
    response = owner.get(_agenda(day, suffix="/agenda.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, embedded = _pdf(response)
    assert WATER in text and "กิจการ K" in text and "กิจการ A" in text and "หาผู้ซื้อ" in text
    assert "ศูนย์ประชุม" in text and "คุยเรื่องปลากัดส่งออก" in text
    assert embedded and {"Garuda", "Garuda-Bold"} <= {name.split("+")[-1] for name in embedded}
    english, _fonts = _pdf(owner.get(_agenda(day, suffix="/agenda.pdf?lang=en")))
    assert "Agenda of Firm A" in english and "Firm K" in english and "Times are Bangkok time." in english


def test_pdf_text_round_trip():
    for text in ("จำกัด", "น้ำดี", "ข้าวหอม น้ำ จำ ค่ำ", "ทำ"):
        assert agenda_pdf.from_pdf_text(agenda_pdf.pdf_text(text)) == text
    assert agenda_pdf.pdf_text("น้ำ") == "น\u0e4d\u0e49\u0e32"  # NIKHAHIT before the tone, as HarfBuzz draws it


def _checked_in(app, registration_id):
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        audits = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "registration.checked_in"))
        return registration.checked_in_at, registration.checked_in_by_id, audits


def test_staff_check_a_firm_in_from_its_qr_link(app, cast, day):
    staff = signed_in(app, cast.email("staff"))
    page = body(staff.get(f"/events/checkin/{day['token']}"))
    assert "กิจการ A" in page and _checked_in(app, day["reg_a"]) == (None, None, 0)
    response = staff.post(f"/events/checkin/{day['token']}")
    assert response.status_code == 302 and response.location.endswith(f"/events/{day['event']}/checkin")
    at, by, audits = _checked_in(app, day["reg_a"])
    assert at is not None and by == cast.users["staff"] and audits == 1
    staff.post(f"/events/checkin/{day['token']}")  # a second scan changes nothing
    assert _checked_in(app, day["reg_a"]) == (at, by, 1)
    assert "กิจการ A" in body(staff.get(f"/events/{day['event']}/checkin"))


def test_the_desk_finds_a_typed_code_and_refuses_a_wrong_one(app, cast, day):
    coordinator = signed_in(app, cast.email("coordinator"))
    desk = f"/events/{day['event']}/checkin"
    typed = f"{day['code'][:4].lower()}-{day['code'][4:]} "
    response = coordinator.post(desk, data={"code": typed})
    assert response.status_code == 302 and response.location.endswith(f"/events/checkin/{day['token']}")
    wrong = coordinator.post(desk, data={"code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 200 and "ไม่มีการลงทะเบียนที่ใช้รหัสเช็กอินนี้" in body(wrong)
    english = coordinator.post(desk + "?lang=en", data={"code": ""})
    assert "Type the firm&#39;s check-in code." in body(english) or "Type the firm's check-in code." in body(english)
    assert _checked_in(app, day["reg_a"]) == (None, None, 0)


@pytest.mark.parametrize("who", ["owner", "owner_of_two", "stranger"])
def test_non_organisers_cannot_check_in(app, cast, day, who):
    client = signed_in(app, cast.email(who))
    assert client.get(f"/events/checkin/{day['token']}").status_code == 403
    assert client.post(f"/events/checkin/{day['token']}").status_code == 403
    assert client.get(f"/events/{day['event']}/checkin").status_code == 403
    assert _checked_in(app, day["reg_a"]) == (None, None, 0)


def test_unknown_tokens_are_404_and_the_confirm_needs_csrf(app, cast, day, monkeypatch):
    staff = signed_in(app, cast.email("staff"))
    assert staff.get("/events/checkin/not-a-token").status_code == 404
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert staff.post(f"/events/checkin/{day['token']}").status_code in (200, 400)
    assert _checked_in(app, day["reg_a"]) == (None, None, 0)


def _meeting(app, meeting_id):
    with app.app_context():
        m = db.session.get(Meeting, meeting_id)
        return m.state, m.sender_rating, m.sender_continues, m.receiver_rating, m.receiver_continues


def test_a_side_marks_a_meeting_held_and_each_side_rates_it(app, cast, day):
    owner = signed_in(app, cast.email("owner"))
    url = f"/events/{day['event']}/meetings/{day['ab']}"
    assert "น้ำดี" in body(owner.get(f"{url}/held"))
    assert owner.post(f"{url}/held").status_code == 302
    assert _meeting(app, day["ab"])[0] is MeetingState.HELD
    assert owner.post(f"{url}/no_show").status_code == 403  # marked once
    bad = owner.post(f"{url}/rate", data={"rating": "9", "continues": "yes"})
    assert bad.status_code == 200 and "ไม่ถูกต้อง" in body(bad)  # the rating is not one of the choices
    missing = owner.post(f"{url}/rate", data={"rating": "4"})
    assert missing.status_code == 200 and "ตอบว่าใช่หรือไม่" in body(missing)
    english = owner.post(f"{url}/rate?lang=en", data={"continues": "no"})
    assert "Choose a rating from 1 to 5." in body(english)
    assert _meeting(app, day["ab"])[1:] == (None, None, None, None)
    assert owner.post(f"{url}/rate", data={"rating": "4", "continues": "yes"}).status_code == 302
    other = signed_in(app, cast.email("owner_of_two"))
    assert other.post(f"{url}/rate", data={"rating": "2", "continues": "no"}).status_code == 302
    assert _meeting(app, day["ab"]) == (MeetingState.HELD, 4, True, 2, False)
    assert owner.post(f"{url}/rate", data={"rating": "1", "continues": "no"}).status_code == 403  # once a side
    assert signed_in(app, cast.email("staff")).get(f"{url}/rate").status_code == 403  # organisers do not rate


def test_organisers_mark_no_shows_and_others_cannot(app, cast, day):
    url = f"/events/{day['event']}/meetings/{day['ka']}/no_show"
    assert signed_in(app, cast.email("owner_of_two")).post(url).status_code == 403
    assert _meeting(app, day["ka"])[0] is MeetingState.SCHEDULED
    assert signed_in(app, cast.email("staff")).post(url).status_code == 302
    assert _meeting(app, day["ka"])[0] is MeetingState.NO_SHOW
    assert signed_in(app, cast.email("owner")).get(
        f"/events/{day['event']}/meetings/{day['ka'] + 999}/held").status_code == 404


def test_reminders_go_once_the_day_before_in_each_readers_language(app, cast):
    from portal.auth.models import EmailSetting, User
    from portal.jobs import periodic

    with app.test_request_context("/"):
        roles = load_cast(cast)
        event, regs, _meetings = matching_day(roles)
        db.session.get(EventSession, event.sessions[0].id).day = bangkok_today() + timedelta(days=1)
        owner = db.session.get(User, cast.users["owner"])
        owner.locale, owner.email_setting = "en", EmailSetting.IMMEDIATE
        db.session.commit()
        event_id = event.id
    with app.app_context():
        mailed_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
        assert periodic.event_reminders() == "3 matching-day reminders"
        db.session.commit()
        assert periodic.event_reminders() == "0 matching-day reminders"
        db.session.commit()
        reminders = db.session.scalars(select(Notification).where(Notification.kind == "events.agenda_reminder")).all()
        # A's team (owner, editor, suspended), B's (owner_of_two), K's (coordinator): one each
        assert sorted(n.user_id for n in reminders) == sorted(cast.users[w] for w in (
            "owner", "editor", "suspended", "owner_of_two", "coordinator"))
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > mailed_before)).all()
        assert sorted((m.recipient, m.locale) for m in mail) == sorted(
            (f"{who}@example.com", "en" if who == "owner" else "th")
            for who in ("owner", "editor", "owner_of_two", "coordinator"))  # not the suspended editor
    with app.test_request_context("/"):
        from portal.notifications.services import KINDS, message

        note = next(n for n in reminders if n.user_id == cast.users["owner"])
        assert KINDS["events.agenda_reminder"].link(note) == f"/events/{event_id}/agenda/{cast.firms['A']}"
        assert message(note, "en") == "Tomorrow: “Betta matching day”. The agenda of Firm A is ready."


def test_tables_stay_once_meetings_are_placed_at_them(app, cast):
    """update_event's own rule ("its tables only until a meeting is placed"): changing them then is refused
    in the reader's language and changes nothing (it used to fail on the meetings' table references)."""
    from portal.events import services
    from portal.exceptions import RuleViolation
    from tests.events_helpers import event_data

    with app.test_request_context("/"):
        roles = load_cast(cast)
        event, _regs, _meetings = matching_day(roles)
        db.session.commit()
        with pytest.raises(RuleViolation) as refused:
            services.update_event(roles.users["staff"], event, event_data(), [roles.clusters["betta"].id],
                                  [services.SessionData(s.day, s.start_time, s.slot_count) for s in event.sessions],
                                  ["A", "B"])
        assert str(refused.value) == "มีนัดพบที่โต๊ะเหล่านี้แล้ว จึงเปลี่ยนโต๊ะไม่ได้อีก"
        db.session.rollback()
        assert [t.name for t in event.tables] == ["1", "2", "3"]
