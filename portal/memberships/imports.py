"""Member imports as background work. Confirming a previewed file records a MemberImport (flush-only, in
the request's transaction); a worker applies it whole or not at all, queues the claim invitations in the
same transaction, and tells the coordinator in their language. A worker that dies mid-import has applied
nothing (one transaction); the run is taken up again after IMPORT_STALE_MINUTES."""
import logging
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale

from portal import audit
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.jobs import claims
from portal.media import services as media
from portal.media.models import IMPORT
from portal.memberships.models import ImportStatus, MemberImport
from portal.notifications.services import bilingual, notify, register_kind

log = logging.getLogger(__name__)
S = ImportStatus


def _file_name(token: str) -> str:
    return f"{token}.csv"


def keep_file(token: str, data: bytes) -> None:
    """Keep the uploaded file as it came, CSV or .xlsx (its content says which), in the database, so that the
    preview, the confirmation and the worker's run may each happen on another app node or machine. Flush-only:
    the request commits. Abandoned ones go after IMPORT_PREVIEW_HOURS (periodic.remove_abandoned_imports)."""
    media.store(data, "application/octet-stream", "csv", purpose=IMPORT, name=_file_name(token))


def kept_file(token: str) -> bytes | None:
    """The file kept under `token`, or None when there is none (any more)."""
    return media.read(_file_name(token), IMPORT)


def drop_file(token: str) -> None:
    media.remove(_file_name(token))


def start(actor, cluster, token: str, changes: int, locale: str) -> MemberImport:
    from portal.permissions import can_manage_cluster

    if not can_manage_cluster(actor, cluster):
        raise PermissionDenied()
    run = MemberImport(cluster_id=cluster.id, actor_id=actor.id, locale=locale, token=token, changes=changes,
                       status=S.QUEUED)
    db.session.add(run)
    db.session.flush()
    audit.record(actor, "cluster.import_queued", run, cluster=cluster.slug, changes=changes)
    return run


def _stale_after() -> timedelta:
    return timedelta(minutes=current_app.config["IMPORT_STALE_MINUTES"])


def run(import_id: int) -> MemberImport | None:
    """Apply one queued import (a worker's task). Commits. Returns it, or None if another worker has it."""
    from portal.auth.models import User
    from portal.clusters.models import Cluster
    from portal.firms.emails import claim_invitation_rows
    from portal.memberships import csv_io, services
    from portal.outbox.services import enqueue_emails

    job = claims.claim(MemberImport, import_id, _stale_after())
    if job is None:
        return None
    cluster, actor = db.session.get(Cluster, job.cluster_id), db.session.get(User, job.actor_id)
    data, plan = kept_file(job.token), None
    with force_locale(job.locale):
        try:
            if data is None:
                raise FileNotFoundError(job.token)
            plan = csv_io.plan_import(data, cluster)  # the database may have changed since the preview
            invitations = services.apply_import(actor, cluster, plan)
            enqueue_emails("firms.claim", claim_invitation_rows(invitations, actor))
        except (RuleViolation, PermissionDenied, FileNotFoundError) as exc:
            db.session.rollback()
            return _failed(import_id, exc, plan.errors if plan is not None else None)
    job.status, job.finished_at = S.DONE, utcnow()
    job.summary = {"changes": plan.changes, **plan.summary(), "claim_invitations": len(invitations)}
    notify([actor], "import.done", job, cluster=bilingual(cluster), cluster_slug=cluster.slug,
           changes=plan.changes, import_id=job.id)
    drop_file(job.token)
    db.session.commit()
    log.info("import %s into cluster %s: %s", job.id, cluster.slug, job.summary)
    return job


def _failed(import_id, exc, plan_errors) -> MemberImport:
    from portal.auth.models import User
    from portal.clusters.models import Cluster

    job = db.session.get(MemberImport, import_id, populate_existing=True)
    if isinstance(exc, FileNotFoundError):
        message = str(_l("The uploaded file is no longer there. Please upload it again."))
    elif isinstance(exc, PermissionDenied):
        message = str(_l("You no longer manage this cluster."))
    else:
        message = str(exc)
    if plan_errors:
        lines = [f"{line}: {text}" if line else str(text) for line, text in plan_errors[:20]]
        message = "\n".join([message, *lines])
    job.status, job.finished_at, job.error = S.FAILED, utcnow(), message
    cluster = db.session.get(Cluster, job.cluster_id)
    notify([db.session.get(User, job.actor_id)], "import.failed", job, cluster=bilingual(cluster),
           cluster_slug=cluster.slug, import_id=job.id)
    drop_file(job.token)
    db.session.commit()
    log.warning("import %s failed: %s", import_id, message)
    return job


def waiting(now=None) -> list[int]:
    """Imports whose nudge was lost (queued for a minute) or whose worker died (running too long)."""
    return claims.waiting(MemberImport, _stale_after(), now)


def _link(n):
    from flask import url_for

    return url_for("coordination.import_status", slug=n.params.get("cluster_slug"), import_id=n.params.get("import_id"))


register_kind("import.done", _l("Your import into the %(cluster)s cluster is done: %(changes)s changes."), _link)
register_kind("import.failed", _l("Your import into the %(cluster)s cluster could not be applied: nothing was "
                                  "changed."), _link)
