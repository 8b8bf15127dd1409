"""Backups: `flask backup` then `flask restore` brings back every table and uploaded file as it was at backup
time; a damaged, altered or foreign archive, or an operator who answers "n", changes nothing.

These tests restore over a database, so they use their own app on their own database (a SQLite file, or on
PostgreSQL a scratch database beside TEST_DATABASE_URL's, dropped afterwards), never the shared session app.
"""
import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import create_engine, delete, inspect, select, text
from sqlalchemy.engine import make_url

from config import TestConfig
from portal import create_app
from portal.audit import AuditEntry
from portal.backup import database
from portal.backup.archive import DATABASE_MEMBERS, BackupError
from portal.backup.services import revision_status
from portal.clusters.models import Membership, Position
from portal.extensions import db
from portal.firms import logos
from portal.firms.models import Firm
from portal.media.models import MediaFile
from portal.search import matches, terms
from portal.seed.reference import load_clusters, load_provinces
from tests import factories
from tests.conftest import PG_URL

ARCHIVE_NAME = re.compile(r"^portal-backup-\d{8}T\d{6}Z\.tar\.gz$")


def _scratch_database(folder: Path) -> str:
    if not PG_URL:
        return f"sqlite:///{folder / 'portal.db'}"
    base = make_url(PG_URL)
    name = f"{base.database}_backup_scratch"
    _drop_database(base, name)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'")
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(base, name: str) -> None:
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def backup_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backup")
    url = _scratch_database(folder)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_DIR = str(folder / "uploads")
        BACKUP_DIR = str(folder / "backups")
        OUTBOX_DIR = str(folder / "outbox")

    app = create_app(Config)
    with app.app_context():
        upgrade()
        load_provinces()
        load_clusters()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    if PG_URL:
        _drop_database(make_url(PG_URL), make_url(url).database)


@pytest.fixture
def uploads(backup_app) -> Path:
    return Path(backup_app.config["UPLOAD_DIR"])


@pytest.fixture(autouse=True)
def _fresh_state(backup_app, uploads):
    """Each test starts from the reference data and no uploaded files."""
    with backup_app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.execute(text("DROP TABLE IF EXISTS from_a_later_migration"))
        load_provinces()
        load_clusters()
        db.session.commit()
    shutil.rmtree(uploads, ignore_errors=True)
    uploads.mkdir()


def _webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="WEBP")
    return out.getvalue()


def _make_data(app, uploads: Path) -> None:
    """Two firms (one with a logo) in the Betta cluster, an owner, an audit row, and an import file."""
    with app.app_context():
        owner = factories.user(email="owner@backup.example")
        farm = factories.firm(name_th="ฟาร์มปลากัดสำรองข้อมูล", name_en="Backup Betta Farm",
                              logo_filename=logos.store(_webp()))
        other = factories.firm(name_en="Second Firm")
        factories.team_member(farm, owner)
        factories.membership(farm, factories.cluster("betta"), Position.UPSTREAM, Position.DOWNSTREAM)
        factories.membership(other, factories.cluster("betta"))
        db.session.add(AuditEntry(actor_id=owner.id, action="firm.created", target_type="firms", target_id=farm.id))
        db.session.commit()
    (uploads / "imports").mkdir(parents=True, exist_ok=True)
    (uploads / "imports" / "preview.csv").write_text("registration,name\n0105555000001,ฟาร์ม\n", encoding="utf-8")


def _change_data(app, uploads: Path) -> None:
    """Add, edit and delete rows; delete, modify and add uploaded files."""
    with app.app_context():
        factories.firm(name_en="Added After Backup")
        farm = db.session.scalar(select(Firm).where(Firm.name_en == "Backup Betta Farm"))
        farm.name_en, farm.name_th = "Renamed Farm", "ฟาร์มเปลี่ยนชื่อ"
        other = db.session.scalar(select(Firm).where(Firm.name_en == "Second Firm"))
        db.session.delete(db.session.scalar(select(Membership).where(Membership.firm_id == other.id)))
        db.session.execute(text("CREATE TABLE from_a_later_migration (id integer PRIMARY KEY)"))  # as if upgraded
        db.session.execute(MediaFile.__table__.delete())  # the logo (kept in the database) is lost
        db.session.commit()
    (uploads / "imports" / "preview.csv").write_text("changed\n", encoding="utf-8")
    (uploads / "new.txt").write_text("added after the backup", encoding="utf-8")


def _tables(app) -> dict:
    """Every row of every table, in primary-key order."""
    with app.app_context(), db.engine.connect() as conn:
        return {table.name: [tuple(row) for row in
                             conn.execute(select(table).order_by(*(table.primary_key.columns or table.columns)))]
                for table in db.metadata.sorted_tables}


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _backup(app, folder: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(folder)])
    assert result.exit_code == 0, result.output
    written = list(folder.iterdir())
    assert len(written) == 1 and ARCHIVE_NAME.match(written[0].name), written
    assert f"Backup written: {written[0]}" in result.output
    return written[0]


def _search(app, words: str) -> list[int]:
    with app.app_context():
        dialect = db.engine.dialect.name
        phrase = [" ".join(terms(words))]  # one group: the words together, as typed
        return list(db.session.scalars(select(Firm.id).where(matches(Firm, [phrase], dialect, "firms_fts"))))


def test_restore_brings_back_tables_and_files_as_they_were_at_backup(backup_app, uploads, tmp_path):
    _make_data(backup_app, uploads)
    before_tables, before_files = _tables(backup_app), _files(uploads)
    assert "imports/preview.csv" in before_files and not any(name.startswith("logos/") for name in before_files)
    assert before_tables["media_files"]  # the logo is in the database dump, not among the files
    farm_ids = _search(backup_app, "Backup Betta")
    archive = _backup(backup_app, tmp_path / "backups")

    _change_data(backup_app, uploads)
    assert _tables(backup_app) != before_tables and _files(uploads) != before_files
    assert _search(backup_app, "Backup Betta") == []

    result = backup_app.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output

    after = _tables(backup_app)
    audit_after = after.pop("audit_entries")
    audit_before = before_tables.pop("audit_entries")
    assert after == before_tables
    assert audit_after[:-1] == audit_before
    with backup_app.app_context():
        entry = db.session.get(AuditEntry, audit_after[-1][0])
        assert (entry.action, entry.actor_id, entry.reason) == ("backup.restored", None, archive.name)
    assert _files(uploads) == before_files
    with backup_app.app_context():
        assert "from_a_later_migration" not in inspect(db.engine).get_table_names()
    assert _search(backup_app, "Backup Betta") == farm_ids and _search(backup_app, "Renamed") == []
    assert not [p for p in uploads.parent.iterdir() if "restore" in p.name]  # no staging left behind


def test_backup_holds_committed_data_only_while_another_transaction_writes(backup_app, tmp_path):
    with backup_app.app_context():
        committed = db.session.scalar(select(db.func.count(AuditEntry.id)))
        with db.engine.connect() as writer:
            writer.execute(text("INSERT INTO audit_entries (action, target_type, created_at) "
                                "VALUES ('uncommitted', 'firms', CURRENT_TIMESTAMP)"))
            archive = _backup(backup_app, tmp_path)
            writer.rollback()
    manifest = _manifest(archive)
    assert manifest["row_counts"]["audit_entries"] == committed
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json" and DATABASE_MEMBERS[manifest["dialect"]] in names
    assert oct(archive.stat().st_mode & 0o777) == "0o600"


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def _rewrite(archive: Path, target: Path, change) -> Path:
    """Copy an archive, letting `change(members, manifest)` alter its members (an ordered dict) or manifest."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members["manifest.json"])
    change(members, manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name in ["manifest.json", *[n for n in members if n != "manifest.json"]]:
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            tar.addfile(info, io.BytesIO(members[name]))
    return target


def _alter_database(members, manifest):
    name = DATABASE_MEMBERS[manifest["dialect"]]
    data = bytearray(members[name])
    data[len(data) // 2] ^= 0xFF
    members[name] = bytes(data)


def _smuggle(members, manifest):
    members["uploads/extra.sh"] = b"#!/bin/sh\n"


def _escape(members, manifest):
    import hashlib

    body = b"outside"
    members["uploads/../../outside.txt"] = body
    manifest["files"]["uploads/../../outside.txt"] = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def _other_dialect(members, manifest):
    other = "postgresql" if manifest["dialect"] == "sqlite" else "sqlite"
    old, new = DATABASE_MEMBERS[manifest["dialect"]], DATABASE_MEMBERS[other]
    members[new] = members.pop(old)
    manifest["files"][new] = manifest["files"].pop(old)
    manifest["dialect"] = other


def _newer_code(members, manifest):
    manifest["alembic_revision"] = "0123456789ab"


@pytest.mark.parametrize(("change", "message"), [
    (_alter_database, "does not match its checksum"),
    (_smuggle, "which its manifest does not list"),
    (_escape, "unsafe path"),
    (_other_dialect, "restore it on a"),
    (_newer_code, "does not know"),
])
def test_a_damaged_altered_or_foreign_archive_is_refused_and_nothing_changes(
        backup_app, uploads, tmp_path, change, message):
    _make_data(backup_app, uploads)
    good = _backup(backup_app, tmp_path / "good")
    bad = _rewrite(good, tmp_path / "bad.tar.gz", change)
    _change_data(backup_app, uploads)
    tables, files = _tables(backup_app), _files(uploads)

    result = backup_app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])

    assert result.exit_code == 1 and message in result.output, result.output
    assert _tables(backup_app) == tables and _files(uploads) == files
    assert not (tmp_path / "outside.txt").exists() and not (uploads.parent.parent / "outside.txt").exists()
    assert not [p for p in uploads.parent.iterdir() if "restore" in p.name]


@pytest.mark.parametrize("content", [b"not an archive at all", None])
def test_a_file_that_is_not_a_whole_archive_is_refused(backup_app, uploads, tmp_path, content):
    if content is None:  # a backup cut short, as by a full disk during a copy
        content = _backup(backup_app, tmp_path / "good").read_bytes()[:-300]
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(content)
    tables = _tables(backup_app)
    result = backup_app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1 and "Error:" in result.output, result.output
    assert _tables(backup_app) == tables


def test_answering_no_to_the_confirmation_changes_nothing(backup_app, uploads, tmp_path):
    _make_data(backup_app, uploads)
    archive = _backup(backup_app, tmp_path)
    _change_data(backup_app, uploads)
    tables, files = _tables(backup_app), _files(uploads)

    other = create_engine(backup_app.config["SQLALCHEMY_DATABASE_URI"])
    with other.connect() as other_session:
        other_session.execute(text("SELECT 1"))  # on PostgreSQL the operator is warned about it
        result = backup_app.test_cli_runner().invoke(args=["restore", str(archive)], input="n\n")
    other.dispose()

    assert result.exit_code == 1
    assert "Replace ALL current data" in result.output and "nothing was changed" in result.output
    # On PostgreSQL the operator is told how many other sessions are connected (at least the one above).
    assert bool(re.search(r"[1-9][0-9]* other sessions are connected", result.output)) == bool(PG_URL)
    assert _tables(backup_app) == tables and _files(uploads) == files


def test_restoring_a_backup_of_an_older_schema_tells_the_operator_to_upgrade(backup_app, tmp_path):
    with backup_app.app_context():
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        first = _first_revision()
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": first})
        db.session.commit()
    try:
        archive = _backup(backup_app, tmp_path)
        result = backup_app.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
        assert result.exit_code == 0, result.output
        assert "flask db upgrade" in result.output
        with backup_app.app_context():
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == first
    finally:
        with backup_app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()


def _first_revision() -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return script.get_base()


def test_revision_status_of_an_archive(backup_app):
    with backup_app.app_context():
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert revision_status(head) == "current"
        assert revision_status(_first_revision()) == "older"
        assert revision_status("0123456789ab") == "unknown"


def test_postgres_tools_get_the_password_from_the_environment_not_the_command_line():
    url = make_url("postgresql+psycopg://portal:s3cret@db.example:5433/portal?sslmode=require")
    args, env = database.pg_connection_args(url)
    assert "s3cret" not in " ".join(args) and env["PGPASSWORD"] == "s3cret"
    assert args[args.index("--host") + 1] == "db.example" and args[args.index("--port") + 1] == "5433"
    assert args[args.index("--dbname") + 1] == "dbname='portal' sslmode='require'"


def test_a_missing_pg_dump_is_a_clear_error(backup_app, tmp_path):
    with pytest.raises(BackupError, match="pg_dump was not found"):
        database.pg_tool("pg_dump", str(tmp_path))
    if not PG_URL:
        return  # the command path below needs PostgreSQL
    backup_app.config["PG_BIN_DIR"] = str(tmp_path)
    try:
        result = backup_app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "out")])
    finally:
        backup_app.config["PG_BIN_DIR"] = None
    assert result.exit_code == 1 and "pg_dump was not found" in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_the_restore_shows_in_the_audit_log_as_done_by_the_system(backup_app, tmp_path):
    from portal.auth.models import Role

    with backup_app.app_context():
        factories.user(email="staff@backup.example", role=Role.STAFF)
        db.session.commit()
    archive = _backup(backup_app, tmp_path)
    assert backup_app.test_cli_runner().invoke(args=["restore", str(archive), "--yes"]).exit_code == 0

    client = backup_app.test_client()
    factories.sign_in(client, "staff@backup.example")
    page = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "backup.restored" in page and archive.name in page and "#None" not in page


def test_two_backups_in_the_same_second_keep_both_whole(backup_app, uploads, tmp_path, monkeypatch):
    """The archive name has the second; a second backup then gets -2, and neither writes into the other."""
    from datetime import datetime, timezone

    from portal.backup import archive, services

    moment = datetime(2026, 11, 24, 2, 30, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(services, "datetime", type("Frozen", (), {"now": staticmethod(lambda tz=None: moment)}))
    folder = tmp_path / "same-second"
    for _ in range(2):
        assert backup_app.test_cli_runner().invoke(args=["backup", "--output", str(folder)]).exit_code == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["portal-backup-20261124T023000Z-2.tar.gz", "portal-backup-20261124T023000Z.tar.gz"]
    for name in names:
        with backup_app.app_context():
            manifest = archive.read_archive(folder / name, tmp_path / f"check-{name}")
        assert manifest["created_at"] == moment.isoformat()
        assert oct((folder / name).stat().st_mode & 0o777) == "0o600"
