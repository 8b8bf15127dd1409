"""Back up and restore the portal: the database and the uploaded files, in one archive.

Order of a backup: uploads (first pass), the database snapshot, uploads again (only files saved meanwhile), so
every file the snapshot refers to is in the archive; a file saved after the snapshot is harmless extra.
A restore checks the whole archive before it changes anything.
"""
import logging
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import current_app

from portal.audit import AuditEntry
from portal.backup import database
from portal.backup.archive import (
    DATABASE_MEMBERS,
    FORMAT,
    FORMAT_VERSION,
    UPLOADS,
    BackupError,
    archive_path,
    copy_tree,
    describe_files,
    read_archive,
    write_archive,
)
from portal.extensions import db

log = logging.getLogger("portal.backup")


def _dialect() -> str:
    name = db.engine.url.get_backend_name()
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]).resolve()


def create_backup(output_dir: Path, echo=log.info) -> Path:
    """Write portal-backup-<UTC time>.tar.gz into `output_dir`; return its path.

    :raises BackupError: the database cannot be copied (pg_dump missing or too old, in-memory SQLite …).
    """
    dialect, output_dir = _dialect(), output_dir.resolve()
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    pg_dump = None
    if dialect == "postgresql":
        pg_dump = database.check_pg_dump(db.engine, current_app.config.get("PG_BIN_DIR"))
    uploads = _upload_dir()
    if output_dir == uploads or uploads in output_dir.parents:
        raise BackupError(f"Write backups outside UPLOAD_DIR ({uploads}), or each would hold the ones before.")
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".portal-backup-", dir=output_dir) as tmp:
        staging = Path(tmp)
        (staging / UPLOADS).mkdir()
        copied = copy_tree(uploads, staging / UPLOADS)
        dump = staging / DATABASE_MEMBERS[dialect]
        if pg_dump:
            echo(f"Database: {pg_dump[2]} of {db.engine.url.render_as_string(hide_password=True)} (custom format)")
            facts = database.pg_snapshot(db.engine, pg_dump[0], dump)
        else:
            echo(f"Database: SQLite online backup of {database.sqlite_file(db.engine.url)}")
            facts = database.sqlite_snapshot(db.engine.url, dump)
        echo(f"  revision {facts['alembic_revision']}, {_counts_line(facts['row_counts'])}")
        later = copy_tree(uploads, staging / UPLOADS)
        echo(f"Uploads: {copied[0] + later[0]} files, {human_size(copied[1] + later[1])} from {uploads}")
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": moment.isoformat(),
            "dialect": dialect, **facts, "pg_dump_major": pg_dump[1] if pg_dump else None,
            "files": describe_files(staging),
        }
        target = write_archive(staging, manifest, archive_path(output_dir, moment))
    log.info("backup written to %s", target)
    return target


@dataclass
class PreparedRestore:
    """An archive that passed every check, unpacked into a staging folder beside UPLOAD_DIR."""

    archive: Path
    manifest: dict
    staging: Path
    revision_status: str
    pg_restore: str | None = field(default=None)
    pg_tables: set[str] = field(default_factory=set)

    @property
    def dump(self) -> Path:
        return self.staging / DATABASE_MEMBERS[self.manifest["dialect"]]


@contextmanager
def prepared_restore(archive: Path):
    """Unpack and check `archive` (manifest, checksums, dialect, revision, readable dump) without changing
    anything; the staging folder is removed on leaving.

    :raises BackupError: the archive cannot be restored here; nothing was changed.
    """
    uploads = _upload_dir()
    uploads.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{uploads.name}-restore-", dir=uploads.parent))
    try:
        yield _check(archive, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check(archive: Path, staging: Path) -> PreparedRestore:
    manifest = read_archive(archive, staging)
    dialect = _dialect()
    if manifest["dialect"] != dialect:
        raise BackupError(f"The archive holds a {manifest['dialect']} database but the portal is configured for "
                          f"{dialect}; restore it on a {manifest['dialect']} setup. Nothing was changed.")
    status = revision_status(manifest.get("alembic_revision"))
    if status == "unknown":
        raise BackupError(f"The archive's database is at migration {manifest.get('alembic_revision')}, which this "
                          f"version of the portal does not know (the backup comes from a newer version). Deploy "
                          f"that version first. Nothing was changed.")
    prepared = PreparedRestore(archive, manifest, staging, status)
    dump = prepared.dump
    if dialect == "postgresql":
        prepared.pg_restore, prepared.pg_tables = database.check_pg_restore(dump, manifest.get("pg_dump_major"),
                                                        current_app.config.get("PG_BIN_DIR"))
    else:
        database.sqlite_facts(dump)  # SQLite's quick check
    return prepared


def other_sessions() -> int | None:
    """How many other sessions use the PostgreSQL database (None on SQLite, which cannot tell)."""
    if _dialect() != "postgresql":
        return None
    db.session.remove()
    db.engine.dispose()
    return database.pg_other_sessions(db.engine)


def revision_status(revision: str | None) -> str:
    """'current' (the code's head), 'older' (needs `flask db upgrade`) or 'unknown' (newer code made it)."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    if revision in script.get_heads():
        return "current"
    if revision is None:
        return "older"
    try:
        return "older" if script.get_revision(revision) is not None else "unknown"
    except CommandError:
        return "unknown"


def apply_restore(prepared: PreparedRestore, echo=log.info) -> list[str]:
    """Replace the database and the uploaded files with the prepared archive's, and record it in the audit
    trail (actor: the system). Returns warnings for the operator (row counts, pending migrations)."""
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours may hold locks or an old view of the file
    if prepared.pg_restore:
        echo("Database: pg_restore --clean --if-exists --no-owner --single-transaction …")
        extra = database.pg_restore(db.engine, prepared.pg_restore, prepared.dump, prepared.pg_tables)
        if extra:
            echo(f"  dropped tables newer than the backup: {', '.join(extra)}")
    else:
        echo(f"Database: SQLite online backup into {database.sqlite_file(db.engine.url)}")
        database.sqlite_restore(prepared.dump, db.engine.url)
    db.engine.dispose()
    echo(f"Uploads: replacing {_upload_dir()}")
    try:
        swap_folder(prepared.staging / UPLOADS, _upload_dir())
    except OSError as exc:
        raise BackupError(f"The database was restored, but the uploaded files could not be replaced ({exc}). Fix "
                          f"the cause and run the restore again.") from None
    warnings = _verify(prepared.manifest)
    _audit(prepared)
    log.info("restored %s (made %s)", prepared.archive.name, prepared.manifest["created_at"])
    return warnings


def _verify(manifest: dict) -> list[str]:
    facts = database.pg_facts(db.engine) if manifest["dialect"] == "postgresql" else \
        database.sqlite_facts(database.sqlite_file(db.engine.url))
    warnings = [f"{table}: {facts['row_counts'].get(table)} rows after the restore, {count} in the manifest."
                for table, count in manifest["row_counts"].items() if facts["row_counts"].get(table) != count]
    if revision_status(facts["alembic_revision"]) == "older":
        warnings.append(f"The restored database is at migration {facts['alembic_revision']}, older than this code's. "
                        "Run `flask db upgrade` before starting the portal.")
    return warnings


def _audit(prepared: PreparedRestore) -> None:
    manifest = prepared.manifest
    db.session.add(AuditEntry(actor_id=None, action="backup.restored", target_type="backup", target_id=None,
                              reason=prepared.archive.name,
                              details={"created_at": manifest["created_at"],
                                       "alembic_revision": manifest.get("alembic_revision")}))
    db.session.commit()


def swap_folder(new: Path, live: Path) -> None:
    """Put `new` (a sibling of `live`) in the place of `live` by renaming, then delete the old contents.
    If `live` cannot be renamed (a mount point), its entries are swapped one by one instead."""
    new.mkdir(exist_ok=True)
    if not live.exists():
        new.rename(live)
        return
    old = new.with_name(new.name + ".old")
    try:
        live.rename(old)
    except OSError:
        old.mkdir()
        for entry in list(live.iterdir()):
            entry.rename(old / entry.name)
        for entry in list(new.iterdir()):
            entry.rename(live / entry.name)
    else:
        new.rename(live)
    shutil.rmtree(old, ignore_errors=True)


def _counts_line(counts: dict) -> str:
    return ", ".join(f"{n} {table}" for table, n in counts.items())


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
