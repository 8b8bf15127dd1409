"""What each kind of notification is called on the notification settings page: one registry, in the order
the page lists them (grouped by feature). A kind missing here is still listed, under its code made
readable; tests/test_notifications_line.py checks that every registered kind has a label."""
from portal.i18n import lazy_gettext as _l

LABELS = {
    "membership.requested": _l("A firm asks to join a cluster you coordinate"),
    "membership.approved": _l("Your firm's membership is approved"),
    "membership.declined": _l("Your firm's request to join is declined"),
    "membership.removed": _l("Your firm is removed from a cluster"),
    "membership.invited": _l("A cluster invites your firm"),
    "membership.invitation_accepted": _l("A firm accepts your cluster's invitation"),
    "membership.invitation_declined": _l("A firm declines your cluster's invitation"),
    "import.done": _l("Your member import is done"),
    "import.failed": _l("Your member import failed"),
    "response.new": _l("A new response to your request"),
    "message.new": _l("A new message about a request"),
    "response.accepted": _l("Your response is accepted"),
    "response.shortlisted": _l("Your response is shortlisted"),
    "response.declined": _l("Your response is declined"),
    "request.partnered": _l("A request is closed as partnered with your firm"),
    "request.expiring": _l("Your request is about to close"),
    "request.digest": _l("New requests that fit your firms"),
    "outcome.to_confirm": _l("A partnership value awaits your confirmation"),
    "outcome.followup_to_confirm": _l("A follow-up agreement awaits your confirmation"),
    "followup.ask": _l("A question about what came of a meeting or partnership"),
    "events.registration_approved": _l("Your firm's registration for a matching day is approved"),
    "events.registration_declined": _l("Your firm's registration for a matching day is declined"),
    "events.request_received": _l("A firm would like to meet yours at a matching day"),
    "events.request_accepted": _l("Your meeting request is accepted"),
    "events.request_declined": _l("Your meeting request is declined"),
    "events.request_cancelled": _l("A firm takes back its meeting request"),
    "events.meeting_cancelled": _l("A firm cancels its meeting with yours"),
    "events.schedule_published": _l("A matching day's schedule is published"),
    "events.schedule_changed": _l("Your firm's meetings at a matching day change"),
    "events.agenda_reminder": _l("The day before a matching day: your agenda"),
    "moderation.hidden": _l("OSMEP staff hide one of your listings"),
    "moderation.restored": _l("OSMEP staff show one of your listings again"),
    "moderation.review_requested": _l("A firm asks for a review of a hidden listing"),
    "follow.request": _l("A firm you follow, or a cluster you follow, has a new request"),
    "follow.member": _l("A cluster you follow has a new member"),
    "follow.event": _l("A matching day opens for a cluster you follow"),
    "follow.registered": _l("A firm you follow registers for a matching day"),
    "search.matches": _l("New matches for one of your saved searches"),
    "mydata.export_ready": _l("The copy of your data is ready to download"),
}


def label(kind: str):
    return LABELS.get(kind) or kind.replace(".", " · ").replace("_", " ").capitalize()


def ordered(kinds) -> list[str]:
    """Kinds in the page's order: those with a label as listed above, then any others by code."""
    known = [k for k in LABELS if k in kinds]
    return known + sorted(k for k in kinds if k not in LABELS)
