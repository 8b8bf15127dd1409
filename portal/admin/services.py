"""Programme results, changed by people: confirming reported partnership values, and the threshold above
which only OSMEP staff confirm them. Authorised here, audited, flush-only (the view commits)."""
import logging
from decimal import Decimal

from flask import current_app

from portal import audit
from portal.admin.models import SETTINGS_ID, ResultsSettings, staff_confirmation_threshold
from portal.auth.models import User
from portal.collab.models import Confirmation, Outcome
from portal.db import flush_or_conflict, utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.permissions import can_confirm_outcome, can_set_confirmation_threshold
from portal.webhooks import services as webhooks

log = logging.getLogger(__name__)


def set_staff_confirmation_threshold(actor: User, value: Decimal) -> None:
    """Staff change the threshold; the change (before and after) is audited.
    :raises RuleViolation: a negative value, or above the largest value a partnership may have."""
    if not can_set_confirmation_threshold(actor):
        raise PermissionDenied()
    if value is None or value < 0 or value > current_app.config["OUTCOME_VALUE_MAX"]:
        raise RuleViolation(_l("Enter an amount in baht between zero and the largest value a partnership may "
                               "have."))
    before = staff_confirmation_threshold()
    settings = db.session.get(ResultsSettings, SETTINGS_ID)
    if settings is None:
        settings = ResultsSettings(id=SETTINGS_ID)
        db.session.add(settings)
    settings.staff_confirmation_above, settings.updated_by_id, settings.updated_at = value, actor.id, utcnow()
    flush_or_conflict(lambda: _l("Someone else changed this setting at the same moment. Please try again."),
                      unique=True)
    audit.record(actor, "results.threshold_changed", settings, before=str(before), after=str(value))
    log.info("staff confirmation threshold set to %s by %s", value, actor.id)


def confirm_outcome(actor: User, outcome: Outcome, decision: Confirmation, note: str | None = None) -> None:
    """Confirm or query a reported partnership value (can_confirm_outcome says who may)."""
    if decision not in (Confirmation.CONFIRMED, Confirmation.QUERIED) or not can_confirm_outcome(actor, outcome):
        raise PermissionDenied()
    outcome.confirmation = decision
    outcome.confirmation_note = (note or "").strip()[:1000] or None
    outcome.confirmed_by_id, outcome.confirmed_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, f"outcome.{decision.value}", outcome, reason=outcome.confirmation_note,
                 value=str(outcome.value_baht))
    if decision is Confirmation.CONFIRMED:
        webhooks.emit("outcome.confirmed", outcome)
