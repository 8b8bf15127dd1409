"""Builders for matching-day tests: an event through the service (as an organiser would make it), opened,
with windows open today unless told otherwise; registrations straight through the service too."""
from datetime import time, timedelta

from portal.events import services
from portal.events.models import EventStatus
from portal.thai import bangkok_today


def event_data(**overrides) -> dict:
    today = bangkok_today()
    data = {"title_th": "วันจับคู่ธุรกิจปลากัด", "title_en": "Betta matching day", "description_th": None,
            "description_en": None, "venue": "ศูนย์ประชุม", "online_url": None,
            "registration_opens_on": today - timedelta(days=5), "registration_closes_on": today + timedelta(days=5),
            "booking_opens_on": today - timedelta(days=5), "booking_closes_on": today + timedelta(days=6),
            "meeting_minutes": 20, "max_meetings_per_firm": 3, "needs_approval": False}
    data.update(overrides)
    return data


def sessions(days_ahead=10, slots=4, start=time(9, 0)):
    return [services.SessionData(bangkok_today() + timedelta(days=days_ahead), start, slots)]


def make_event(actor, cluster_ids=(), opened=True, tables=3, session_list=None, **overrides):
    event = services.create_event(actor, event_data(**overrides), cluster_ids, session_list or sessions(),
                                  [str(i + 1) for i in range(tables)])
    if opened:
        services.open_event(actor, event)
    return event


def register(actor, event, firm, slots=None):
    return services.register(actor, event, firm, "คุณสมชาย", "ปลากัด", "ลูกค้า",
                             [s.id for s in (slots or event.slots)])


def close_windows(event, registration=True, booking=True):
    """Move the event's windows into the past (as if the days had passed)."""
    today = bangkok_today()
    if registration:
        event.registration_opens_on, event.registration_closes_on = today - timedelta(days=9), today - timedelta(days=1)
    if booking:
        event.booking_opens_on, event.booking_closes_on = today - timedelta(days=9), today - timedelta(days=1)


__all__ = ["EventStatus", "close_windows", "event_data", "make_event", "register", "sessions"]
