"""A firm's agenda for a matching day, built once and shown three ways: the page, an .ics calendar file and
a printable PDF; and the QR code of its check-in link.

Times are slots' UTC instants, shown in Bangkok time. The .ics gives each meeting in Asia/Bangkok with the
zone's VTIMEZONE (Google and Apple Calendar both read TZID with an embedded VTIMEZONE), and a UID built from
the meeting's id and the portal's host, so importing an updated file replaces the old entries.
"""
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import segno
from flask import current_app
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from markupsafe import Markup
from sqlalchemy import or_, select

from portal.db import utcnow
from portal.events import agenda_pdf
from portal.events.models import Meeting, MeetingRequest, Registration, Slot
from portal.extensions import db
from portal.links import absolute_url
from portal.thai import BANGKOK


@dataclass(frozen=True)
class AgendaItem:
    meeting: Meeting
    side: str  # the firm's side: "sender" or "receiver"
    other: Registration  # the firm met

    @property
    def slot(self) -> Slot:
        return self.meeting.slot

    @property
    def table_name(self) -> str:
        return self.meeting.table.name if self.meeting.table else ""

    @property
    def reason(self) -> str:
        return self.meeting.request.reason


def items(registration: Registration) -> list[AgendaItem]:
    """The firm's placed meetings at its event, in time order."""
    meetings = db.session.scalars(
        select(Meeting).join(MeetingRequest, Meeting.request_id == MeetingRequest.id)
        .join(Slot, Meeting.slot_id == Slot.id)
        .where(Meeting.event_id == registration.event_id,
               or_(MeetingRequest.from_registration_id == registration.id,
                   MeetingRequest.to_registration_id == registration.id))
        .order_by(Slot.starts_at, Meeting.id)).unique().all()
    result = []
    for meeting in meetings:
        sent = meeting.request.from_registration_id == registration.id
        result.append(AgendaItem(meeting, "sender" if sent else "receiver",
                                 meeting.request.receiver if sent else meeting.request.sender))
    return result


def checkin_url(registration: Registration) -> str | None:
    """The absolute check-in link (from PORTAL_BASE_URL, never the request) the firm's QR code encodes."""
    if registration.checkin_token is None:
        return None
    return absolute_url("events.checkin_page", token=registration.checkin_token)


def qr_svg(url: str | None) -> Markup:
    """The URL as an inline SVG QR code (no script, nothing fetched); empty without a URL."""
    if not url:
        return Markup("")
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff", svgclass="qr")
    # segno's own path data and attributes; the URL (our base URL and a urlsafe token) is encoded, not written.
    return Markup(svg)  # nosec B704


def _uid(meeting: Meeting) -> str:
    host = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "portal"
    return f"meeting-{meeting.id}@{host}"


def ics_bytes(registration: Registration, agenda: list[AgendaItem], summary_of, description_of) -> bytes:
    """The agenda as an iCalendar file: one VEVENT per meeting, Bangkok times with the zone's VTIMEZONE.

    `summary_of(item)` and `description_of(item)` give each entry's texts in the reader's language."""
    calendar = Calendar()
    calendar.add("prodid", "-//OSMEP Cluster Portal//Matching day agenda//TH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", registration.event.title)
    stamp = utcnow()
    for item in agenda:
        entry = CalendarEvent()
        entry.add("uid", _uid(item.meeting))
        entry.add("dtstamp", stamp)
        entry.add("dtstart", item.slot.starts_at.astimezone(BANGKOK))
        entry.add("dtend", item.slot.ends_at.astimezone(BANGKOK))
        entry.add("summary", summary_of(item))
        entry.add("description", description_of(item))
        if registration.event.venue:
            entry.add("location", registration.event.venue)
        entry.add("url", absolute_url("events.agenda_page", event_id=registration.event_id,
                                      firm_id=registration.firm_id))
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def pdf_bytes(**context) -> bytes:
    """The printable agenda (templates/events/agenda_pdf.html) in the current language, Thai fonts embedded
    from the system's fonts-thai-tlwg (Garuda, by fontconfig name); nothing is fetched from the network."""
    return agenda_pdf.render("events/agenda_pdf.html", **context)


def generated_at() -> datetime:
    return utcnow()
