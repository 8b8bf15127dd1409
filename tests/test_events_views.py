"""Matching-day pages: who sees what (403/404), forms that refuse bad input in the reader's language and change
nothing, the organiser's and the firms' paths through an event, and the Excel export."""
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.events.models import Event, MeetingRequest, MeetingRequestStatus, Registration, RegistrationStatus
from portal.extensions import db
from portal.thai import bangkok_today
from tests.events_helpers import make_event, register
from tests.helpers import body, load_cast, signed_in


def _event(app, cast, who="staff", **values):
    with app.app_context():
        roles = load_cast(cast)
        event = make_event(roles.users[who], **values)
        db.session.commit()
        return event.id


def _form(**overrides):
    day = bangkok_today() + timedelta(days=20)
    data = {"title_th": "วันจับคู่ธุรกิจ", "title_en": "Matching day", "venue": "ห้องประชุม",
            "registration_opens_on": bangkok_today().isoformat(),
            "registration_closes_on": (bangkok_today() + timedelta(days=5)).isoformat(),
            "booking_opens_on": bangkok_today().isoformat(),
            "booking_closes_on": (bangkok_today() + timedelta(days=10)).isoformat(),
            "meeting_minutes": "20", "max_meetings_per_firm": "5", "needs_approval": "y",
            "sessions-0-day": day.isoformat(), "sessions-0-start_time": "09:00", "sessions-0-slot_count": "6",
            "table_count": "4", "table_names": "โต๊ะ A\nโต๊ะ B"}
    data.update(overrides)
    return data


def _events(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


def test_staff_create_an_event_and_open_it(app, cast):
    staff = signed_in(app, cast.email("staff"))
    assert staff.get("/events/new").status_code == 200
    response = staff.post("/events/new", data=_form())
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert len(event.slots) == 6 and [t.name for t in event.tables] == ["โต๊ะ A", "โต๊ะ B", "3", "4"]
        assert event.is_open_to_all and event.needs_approval
        event_id = event.id
    # a draft is not there for firms
    owner = signed_in(app, cast.email("owner"))
    assert owner.get(f"/events/{event_id}").status_code == 404
    assert "วันจับคู่ธุรกิจ" not in body(owner.get("/events/"))
    assert staff.post(f"/events/{event_id}/open").status_code == 302
    page = body(owner.get(f"/events/{event_id}"))
    assert "วันจับคู่ธุรกิจ" in page and f"/events/{event_id}/register" in page
    assert f"/events/{event_id}/register" not in body(signed_in(app, cast.email("stranger")).get(f"/events/{event_id}"))
    assert "วันจับคู่ธุรกิจ" in body(owner.get("/events/"))
    edit = staff.get(f"/events/{event_id}/edit")
    assert edit.status_code == 200 and 'value="09:00"' in body(edit)


def test_bad_event_input_gets_a_thai_message_and_changes_nothing(app, cast, th):
    staff = signed_in(app, cast.email("staff"))
    response = staff.post("/events/new", data=_form(title_th="", title_en=""))
    assert response.status_code == 200 and th("Give the event a title in Thai or English.") in body(response)
    response = staff.post("/events/new", data=_form(**{"sessions-0-slot_count": "abc"}))
    assert response.status_code == 200
    response = staff.post("/events/new", data=_form(**{"sessions-0-day": "", "sessions-0-start_time": "",
                                                      "sessions-0-slot_count": ""}))
    assert th("Give at least one session: its date, start time and number of slots.") in body(response)
    response = staff.post("/events/new", data=_form(**{"sessions-1-day": bangkok_today().isoformat()}))
    assert th("Give each session a date, a start time and a number of slots.") in body(response)
    response = staff.post("/events/new", data=_form(online_url="javascript://x.example/%0Aalert(1)"))
    assert th("Enter a website address, for example https://example.co.th.") in body(response)
    assert _events(app) == 0


def test_members_and_other_coordinators_may_not_organise(app, cast):
    event_id = _event(app, cast, "coordinator", cluster_ids=[cast.clusters["betta"]])
    for who in ("owner", "other_coordinator"):
        client = signed_in(app, cast.email(who))
        for path in (f"/events/{event_id}/edit", f"/events/{event_id}/registrations", f"/events/{event_id}/requests",
                     f"/events/{event_id}/export.xlsx"):
            assert client.get(path).status_code == 403, (who, path)
    assert signed_in(app, cast.email("owner")).get("/events/new").status_code == 403
    assert app.test_client().get(f"/events/{event_id}/edit").status_code == 302  # to sign in
    assert signed_in(app, cast.email("coordinator")).get(f"/events/{event_id}/registrations").status_code == 200


def test_a_firm_registers_and_the_organiser_approves_after_asking(app, cast):
    event_id = _event(app, cast, needs_approval=True)
    owner = signed_in(app, cast.email("owner"))
    page = owner.get(f"/events/{event_id}/register")
    assert page.status_code == 200 and 'name="slot_ids"' in body(page)
    with app.app_context():
        slot_ids = [s.id for s in db.session.get(Event, event_id).slots]
    data = {"firm_id": cast.firms["A"], "attendees": "คุณสมชาย", "slot_ids": slot_ids[:2], "offers": "ปลากัด"}
    missing = owner.post(f"/events/{event_id}/register", data={**data, "slot_ids": []})
    assert missing.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    assert owner.post(f"/events/{event_id}/register", data=data).status_code == 302
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert registration.status is RegistrationStatus.PENDING and len(registration.slots) == 2
        registration_id = registration.id
    staff = signed_in(app, cast.email("staff"))
    assert "คุณสมชาย" in body(staff.get(f"/events/{event_id}/registrations"))
    url = f"/events/{event_id}/registrations/{registration_id}/decline"
    assert "button-danger" in body(staff.get(url))  # asked first
    assert staff.post(url, data={"reason": "เต็ม"}).status_code == 302
    with app.app_context():
        assert db.session.get(Registration, registration_id).status is RegistrationStatus.DECLINED
    assert owner.get(f"/events/{event_id}/attendees").status_code == 403  # not approved


def _matching(app, cast):
    with app.app_context():
        roles = load_cast(cast)
        event = make_event(roles.users["staff"])
        regs = {name: register(roles.users[who], event, roles.firms[name]).id
                for name, who in (("A", "owner"), ("B", "owner_of_two"), ("B2", "owner_of_two"), ("C", "owner_c"))}
        db.session.commit()
        return event.id, regs


def test_request_a_meeting_and_the_other_side_accepts(app, cast, th):
    event_id, regs = _matching(app, cast)
    owner = signed_in(app, cast.email("owner"))
    attendees = body(owner.get(f"/events/{event_id}/attendees"))
    assert "กิจการ B" in attendees and f"/attendees/{regs['B']}/request" in attendees
    assert f"/attendees/{regs['A']}/request" not in attendees  # not to oneself
    url = f"/events/{event_id}/attendees/{regs['B']}/request"
    empty = owner.post(url, data={"firm_id": regs["A"], "reason": "  "})
    assert th("Say why you would like to meet.") in body(empty)
    assert owner.post(url, data={"firm_id": regs["A"], "reason": "อยากซื้อปลากัด"}).status_code == 302
    with app.app_context():
        request_id = db.session.scalar(select(MeetingRequest.id))
    other = signed_in(app, cast.email("owner_of_two"))
    mine = body(other.get(f"/events/{event_id}/requests/mine"))
    assert "อยากซื้อปลากัด" in mine and f"/requests/{request_id}/accept" in mine
    # B2's owner also owns B: no request between their own two firms
    assert other.get(f"/events/{event_id}/attendees/{regs['B2']}/request").status_code == 403
    assert owner.get(f"/events/{event_id}/requests/{request_id}/accept").status_code == 403  # the sender
    accept = f"/events/{event_id}/requests/{request_id}/accept"
    assert th("Yes, accept") in body(other.get(accept))
    assert other.post(accept).status_code == 302
    with app.app_context():
        assert db.session.get(MeetingRequest, request_id).status is MeetingRequestStatus.ACCEPTED
    staff = signed_in(app, cast.email("staff"))
    assert "อยากซื้อปลากัด" in body(staff.get(f"/events/{event_id}/requests"))
    export = staff.get(f"/events/{event_id}/export.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "อยากซื้อปลากัด" in values and "คุณสมชาย" in values


def test_attendee_search_and_filters(app, cast):
    event_id, _regs = _matching(app, cast)
    owner = signed_in(app, cast.email("owner"))
    assert "Firm C" in body(owner.get(f"/events/{event_id}/attendees?q=firm c&lang=en"))
    found = body(owner.get(f"/events/{event_id}/attendees?cluster=cosplay&lang=en"))
    assert "Firm C" in found and "Firm B2" not in found
    assert owner.get(f"/events/{event_id}/attendees?cluster=nope&position=nope&q=%25").status_code == 200
    assert signed_in(app, cast.email("stranger")).get(f"/events/{event_id}/attendees").status_code == 403


def test_pages_in_thai_and_english(app, cast, th):
    event_id = _event(app, cast)
    client = app.test_client()
    assert th("Business matching days") in body(client.get("/events/?lang=th"))
    page = client.get(f"/events/{event_id}?lang=en")
    assert "Betta matching day" in body(page) and "Matching days" in body(page)
    assert 'lang="th"' in body(client.get(f"/events/{event_id}?lang=th"))


def test_the_list_shows_upcoming_events_first_soonest_first_then_past_ones(app, cast):
    from tests.events_helpers import sessions

    today = bangkok_today()
    past = {"registration_opens_on": today - timedelta(days=30), "registration_closes_on": today - timedelta(days=20),
            "booking_opens_on": today - timedelta(days=30), "booking_closes_on": today - timedelta(days=20)}
    with app.app_context():
        staff = load_cast(cast).users["staff"]
        for title, days, values in (("Later", 20, {}), ("Past", -5, past), ("Sooner", 10, {})):
            make_event(staff, title_en=title, session_list=sessions(days_ahead=days), **values)
        db.session.commit()
    page = body(app.test_client().get("/events/?lang=en"))
    assert page.index("Sooner") < page.index("Later") < page.index("Past")
    assert app.test_client().get("/events/?page=99").status_code == 200
