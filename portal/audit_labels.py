"""What the audit trail's codes mean to people: one registry of action, target-type and detail labels.

The audit log page, its CSV and the moderation history all read from here, so a code is translated once.
Codes stay English in the database (they are stable identifiers); a code missing here falls back to a
readable form ("Outbox · retried") rather than showing `outbox.retried`.
"""
from portal.i18n import gettext
from portal.i18n import lazy_gettext as _l

ACTIONS = {
    "user.registered": _l("Account registered"),
    "user.confirmed": _l("E-mail address confirmed"),
    "user.password_changed": _l("Password changed"),
    "user.signed_out_everywhere": _l("Signed out everywhere"),
    "user.session_ended": _l("A signed-in session ended by its user"),
    "sign_in.throttled": _l("Sign-in slowed down after repeated wrong passwords"),
    "user.suspended": _l("Account suspended"),
    "user.reinstated": _l("Account reinstated"),
    "user.staff_granted": _l("Made OSMEP staff"),
    "user.staff_revoked": _l("Removed from OSMEP staff"),
    "user.admin_granted": _l("Made an administrator"),
    "twofactor.totp_enabled": _l("Authenticator app set up"),
    "twofactor.totp_disabled": _l("Authenticator app removed"),
    "twofactor.recovery_regenerated": _l("New recovery codes made"),
    "twofactor.recovery_used": _l("Recovery code used to sign in"),
    "twofactor.devices_forgotten": _l("Remembered browsers forgotten"),
    "twofactor.passkey_added": _l("Passkey added"),
    "twofactor.passkey_renamed": _l("Passkey renamed"),
    "twofactor.passkey_removed": _l("Passkey removed"),
    "user.deletion_requested": _l("Account deletion requested"),
    "user.deletion_cancelled": _l("Account deletion cancelled"),
    "user.erased": _l("Account erased"),
    "mydata.export_requested": _l("Copy of personal data requested"),
    "line.linked": _l("LINE account linked"),
    "line.unlinked": _l("LINE account unlinked"),
    "line.signed_in": _l("Signed in with LINE"),
    "accounts.unconfirmed_removed": _l("Unconfirmed accounts removed"),
    "followup.sent": _l("Follow-up questions sent"),
    "followup.answered": _l("Follow-up question answered"),
    "followup.reminded": _l("One more follow-up reminder sent"),
    "firm.created": _l("Firm created"),
    "firm.updated": _l("Firm profile edited"),
    "firm.verified": _l("Firm verified"),
    "firm.verification_removed": _l("Firm verification removed"),
    "firm.verification_cleared": _l("Firm verification cleared"),
    "firm.consent_given": _l("Consent to a public listing given"),
    "firm.consent_withdrawn": _l("Consent to a public listing withdrawn"),
    "privacy.notice_accepted": _l("Privacy notice accepted"),
    "privacy.retention_run": _l("Old records removed under the retention schedule"),
    "firm.editor_invited": _l("Invited to the firm's team"),
    "firm.editor_joined": _l("Joined the firm's team"),
    "firm.editor_removed": _l("Removed from the firm's team"),
    "firm.invitation_revoked": _l("Team invitation withdrawn"),
    "firm.owner_handed_over": _l("Firm handed to a new owner"),
    "firm.closed": _l("Firm closed by its owner"),
    "firm.imported_unclaimed": _l("Firm imported, not yet claimed"),
    "membership.requested": _l("Asked to join the cluster"),
    "membership.approved": _l("Membership approved"),
    "membership.declined": _l("Membership declined"),
    "membership.cancelled": _l("Request to join cancelled"),
    "membership.left": _l("Left the cluster"),
    "membership.removed": _l("Removed from the cluster"),
    "membership.positions_changed": _l("Value-chain positions changed"),
    "membership.notes_changed": _l("Coordinator's notes changed"),
    "membership.imported": _l("Membership imported"),
    "membership.invited": _l("Invited to join the cluster"),
    "membership.invitation_accepted": _l("Cluster invitation accepted"),
    "membership.invitation_declined": _l("Cluster invitation declined"),
    "coordinator.appointed": _l("Coordinator appointed"),
    "coordinator.term_ended": _l("Coordinator's term ended"),
    "cluster.import_queued": _l("Member import queued"),
    "cluster.members_imported": _l("Members imported"),
    "request.posted": _l("Request posted"),
    "request.updated": _l("Request edited"),
    "request.renewed": _l("Request renewed"),
    "request.closed": _l("Request closed"),
    "request.expired": _l("Request expired"),
    "response.sent": _l("Response sent"),
    "response.shortlisted": _l("Response shortlisted"),
    "response.accepted": _l("Response accepted"),
    "response.declined": _l("Response declined"),
    "response.withdrawn": _l("Response withdrawn"),
    "outcome.confirmed": _l("Partnership confirmed"),
    "outcome.queried": _l("Partnership queried"),
    "outcome.reported": _l("Agreement reported in a follow-up"),
    "results.threshold_changed": _l("Confirmation threshold changed"),
    "results.recounted": _l("Results recounted"),
    "report.filed": _l("Problem reported"),
    "moderation.dismissed": _l("Reports dismissed"),
    "moderation.hidden": _l("Hidden by a moderator"),
    "moderation.restored": _l("Restored by a moderator"),
    "moderation.review_requested": _l("Review asked for"),
    "outbox.retried": _l("E-mail sent again"),
    "outbox.cancelled": _l("E-mail cancelled"),
    "backup.restored": _l("Backup restored"),
    "glossary.added": _l("Glossary entry added"),
    "glossary.updated": _l("Glossary entry corrected"),
    "glossary.retired": _l("Glossary entry retired"),
    "glossary.restored": _l("Glossary entry restored"),
    "event.created": _l("Matching day created"),
    "event.updated": _l("Matching day edited"),
    "event.opened": _l("Matching day opened"),
    "event.registered": _l("Firm registered for a matching day"),
    "registration.approved": _l("Registration approved"),
    "registration.declined": _l("Registration declined"),
    "meeting_request.sent": _l("Meeting requested"),
    "meeting_request.accepted": _l("Meeting request accepted"),
    "meeting_request.declined": _l("Meeting request declined"),
    "meeting_request.expired": _l("Meeting requests expired"),
    "meeting_request.cancelled": _l("Meeting request taken back or meeting cancelled"),
    "registration.withdrawn": _l("Registration withdrawn"),
    "registration.checked_in": _l("Firm checked in at the matching day"),
    "meeting.held": _l("Meeting marked held"),
    "meeting.no_show": _l("Meeting marked no-show"),
    "meeting.rated": _l("Meeting rated"),
    "events.reminded": _l("Matching-day reminders sent"),
    "schedule.requested": _l("Schedule asked for"),
    "schedule.made": _l("Schedule made"),
    "schedule.published": _l("Schedule published"),
    "meeting.moved": _l("Meeting moved"),
    "meeting.pinned": _l("Meeting pinned"),
    "meeting.unpinned": _l("Meeting unpinned"),
    "api_token.created": _l("API access token created"),
    "api_token.revoked": _l("API access token revoked"),
    "service_token.created": _l("Service token created"),
    "service_token.revoked": _l("Service token revoked"),
    "webhook.created": _l("Webhook endpoint registered"),
    "webhook.updated": _l("Webhook endpoint changed"),
    "webhook.secret_rotated": _l("Webhook signing secret replaced"),
    "webhook.deleted": _l("Webhook endpoint removed"),
    "webhook.replayed": _l("Webhook event sent again"),
}

# Audit rows name their target by table; reports and moderation URLs by a short name. Both are here.
TARGETS = {
    "firms": _l("Firm"), "firm": _l("Firm"),
    "collab_requests": _l("Request"), "request": _l("Request"),
    "collab_responses": _l("Response"), "response": _l("Response"),
    "collab_messages": _l("Message"), "message": _l("Message"),
    "collab_outcomes": _l("Partnership outcome"),
    "users": _l("Account"),
    "memberships": _l("Membership"),
    "clusters": _l("Cluster"),
    "coordinator_terms": _l("Coordinator's term"),
    "reports": _l("Problem report"),
    "results_settings": _l("Results settings"),
    "outbox_messages": _l("Outgoing e-mail"),
    "member_imports": _l("Member import"),
    "glossary_entries": _l("Glossary entry"),
    "events": _l("Matching day"),
    "event_registrations": _l("Registration"),
    "meeting_requests": _l("Meeting request"),
    "meetings": _l("Meeting"),
    "followups": _l("Follow-up question"),
    "backup": _l("Backup"),
    "api_tokens": _l("API access token"),
    "webhook_endpoints": _l("Webhook endpoint"),
    "system": _l("System"),
}

# The target types audit rows carry (table names, and "system"/"backup"), for the audit log's filter.
AUDIT_TARGETS = ("firms", "collab_requests", "collab_responses", "collab_messages", "collab_outcomes", "users",
                 "memberships", "clusters", "coordinator_terms", "reports", "results_settings", "outbox_messages",
                 "member_imports", "glossary_entries", "events", "event_registrations", "meeting_requests", "meetings",
                 "followups", "api_tokens", "webhook_endpoints", "backup", "system")

DETAILS = {
    "firm_id": _l("Firm"),
    "request_id": _l("Request"),
    "user_id": _l("Account"),
    "cluster": _l("Cluster"),
    "email": _l("E-mail"),
    "reason": _l("Reason"),
    "target_kind": _l("Listing"),
    "target_ref": _l("Listing"),
    "registration_number": _l("Registration number"),
    "public_listing": _l("Public listing"),
    "fields": _l("Fields changed"),
    "fiscal_year": _l("Fiscal year"),
    "positions": _l("Positions"),
    "before": _l("Before"),
    "after": _l("After"),
    "line": _l("Line in the file"),
    "changes": _l("Changes"),
    "new_firms": _l("New firms"),
    "invited": _l("Invited"),
    "expires_on": _l("Expires on"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "kind": _l("E-mail type"),
    "last_error": _l("Last error"),
    "term_th": _l("Thai term"),
    "term_en": _l("English term"),
    "event_id": _l("Matching day"),
    "clusters": _l("Clusters"),
    "status": _l("Status"),
    "expired": _l("Expired"),
    "stage": _l("How far it went"),
    "value": _l("Value (baht)"),
    "recipients": _l("Recipients"),
    "created": _l("Created"),
    "sent": _l("Sent"),
    "reminded": _l("Reminded"),
    "via": _l("Registered through"),
    "session": _l("Session"),
    "sessions": _l("Sessions ended"),
    "device": _l("Device"),
    "email_hash": _l("E-mail address (fingerprint)"),
    "wait_seconds": _l("Wait (seconds)"),
    "version": _l("Privacy notice version"),
    "method": _l("How"),
    "notifications": _l("Notifications"),
    "outbox": _l("Outgoing messages"),
    "audit": _l("Audit entries"),
    "contact_email": _l("The system's contact e-mail"),
    "url": _l("Address (URL)"),
    "events": _l("Events"),
    "delivery_id": _l("Delivery"),
    "replay_id": _l("New delivery"),
}

# Free-text reasons written by the system itself, in English, before they were codes.
_SYSTEM_REASONS = {"registration number changed": _l("The registration number changed")}


def _value_labels() -> dict:
    """Codes of fixed vocabularies that land in reasons and details (report reasons, close reasons, positions)."""
    from portal.clusters.models import Position
    from portal.collab.models import CloseReason
    from portal.followup.models import Stage
    from portal.moderation.models import ReportReason
    from portal.privacy.models import ConsentMethod

    labels = dict(_SYSTEM_REASONS)
    for enum in (ReportReason, CloseReason, Position, Stage, ConsentMethod):
        labels.update({member.value: member.label for member in enum})
    return labels


def readable(code: str) -> str:
    """An unknown code, as words: "outbox.retried" -> "Outbox · retried"."""
    text = " · ".join(part.replace("_", " ") for part in str(code).split(".") if part)
    return text[:1].upper() + text[1:]


def action_label(code: str) -> str:
    label = ACTIONS.get(code)
    return str(label) if label is not None else readable(code)


def target_label(target_type: str, target_id=None) -> str:
    """ "Firm #201" / "กิจการ #201"; a system-wide action has no number."""
    label = TARGETS.get(target_type)
    text = str(label) if label is not None else readable(target_type)
    return f"{text} #{target_id}" if target_id is not None else text


def target_choices() -> list[tuple[str, str]]:
    """(code, label) for the audit log's target filter, in the reader's language."""
    return [(code, target_label(code)) for code in AUDIT_TARGETS]


def reason_label(reason) -> str:
    """A reason as people typed it, or the label of a code (wrong_information -> Wrong information)."""
    if reason is None or reason == "":
        return ""
    label = _value_labels().get(reason) if isinstance(reason, str) else None
    return str(label) if label is not None else str(reason)


def _value_text(key, value, labels) -> str:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if value is None:
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(key, item, labels) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{_key_label(k)} {_value_text(k, v, labels)}" for k, v in value.items())
    if key == "target_kind":
        return target_label(value)
    if key == "target_ref" and isinstance(value, str) and ":" in value:
        kind, _sep, number = value.partition(":")
        return target_label(kind, number)
    if isinstance(value, str) and value in labels:
        return str(labels[value])
    return str(value)


def _key_label(key) -> str:
    label = DETAILS.get(key)
    return f"{label if label is not None else readable(key)}:"


def details_text(details) -> str:
    """Details as a line people read: "Firm: 12; Reason: Wrong information" (keys translated where known)."""
    if not details:
        return ""
    if not isinstance(details, dict):
        return str(details)
    labels = _value_labels()
    return "; ".join(f"{_key_label(key)} {_value_text(key, value, labels)}" for key, value in details.items())
