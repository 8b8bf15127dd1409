"""Copy the database out and back in: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore.

Both take a consistent snapshot while the portal keeps writing, and both report the Alembic revision and the row
counts of the main tables *as of that snapshot*, so the manifest describes exactly what the dump holds.
"""
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404  # runs pg_dump / pg_restore: fixed arguments, no shell
from contextlib import closing
from pathlib import Path

from sqlalchemy import func, select, table, text
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.engine import URL

from portal.backup.archive import BackupError

MAIN_TABLES = ("users", "firms", "firm_members", "clusters", "memberships", "collab_requests",
               "collab_responses", "notifications", "reports", "audit_entries")


def _count(name: str):
    """SELECT count(*) FROM the table, quoted by SQLAlchemy (for the manifest's row counts)."""
    return select(func.count()).select_from(table(name))


# --- SQLite ---------------------------------------------------------------------------------------

def sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("The database is an in-memory or URI-style SQLite database; only a plain "
                          "sqlite:///path/to/file.db can be backed up and restored.")
    return Path(url.database).resolve()


def sqlite_snapshot(url: URL, target: Path) -> dict:
    """Copy the live database into `target` in one step of the online backup API: a single read transaction,
    so the copy is consistent even while the portal writes (WAL lets writers go on meanwhile)."""
    source_path = sqlite_file(url)
    if not source_path.is_file():
        raise BackupError(f"The SQLite database {source_path} does not exist.")
    with closing(sqlite3.connect(f"{source_path.as_uri()}?mode=rw", uri=True, timeout=30)) as source, \
            closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive, no -wal beside it
    return sqlite_facts(target)


def sqlite_facts(path: Path) -> dict:
    """Alembic revision and main-table row counts of a SQLite file; raises if it fails SQLite's quick check."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"The SQLite database in the archive is damaged: {check}")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = (conn.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
                if "alembic_version" in tables else None
            counts = {t: conn.execute(str(_count(t).compile(dialect=sqlite_dialect()))).fetchone()[0]
                      for t in MAIN_TABLES if t in tables}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The SQLite database in the archive cannot be read: {exc}") from None
    return {"alembic_revision": revision, "row_counts": counts}


def sqlite_restore(dump: Path, url: URL) -> None:
    """Write the archived database into the live one through the backup API.

    The copy is one write transaction on the live file: connections in other processes (workers that were not
    stopped) see either the old or the restored database, never a mix, and SQLite itself keeps the -wal and -shm
    files right. Replacing the file by rename instead would leave such connections on the old inode with an
    orphaned WAL. Afterwards the WAL is checkpointed into the main file and truncated.
    """
    live = sqlite_file(url)
    live.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)) as source, \
                closing(sqlite3.connect(live, timeout=30)) as target:
            source.backup(target)
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"SQLite refused the restore ({exc}). Stop every portal process and try again; if the "
                          f"database file is damaged, move it and its -wal and -shm files aside first.") from None


# --- PostgreSQL -----------------------------------------------------------------------------------

def pg_tool(name: str, bin_dir: str | None) -> tuple[str, int, str]:
    """(path, major version, version text) of pg_dump or pg_restore, from PG_BIN_DIR or the PATH."""
    path = str(Path(bin_dir) / name) if bin_dir else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        where = f"in {bin_dir} (PG_BIN_DIR)" if bin_dir else "on the PATH"
        raise BackupError(f"{name} was not found {where}. Install the PostgreSQL client tools of the server's "
                          f"version (Debian: apt-get install postgresql-client-15) or set PG_BIN_DIR to their folder.")
    asked = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)  # nosec B603  # our tool
    out = asked.stdout.strip()
    match = re.search(r"\s(\d+)(?:\.\d+)*", out)
    if not match:
        raise BackupError(f"Cannot tell the version of {path} (it printed {out!r}).")
    return path, int(match.group(1)), out


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pg_connection_args(url: URL) -> tuple[list[str], dict]:
    """Command-line options and environment for libpq tools. The password goes in PGPASSWORD, never in argv
    (the process list shows argv to every local user)."""
    args = ["--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    conninfo = [f"dbname={_conninfo_value(url.database or '')}"]
    conninfo += [f"{key}={_conninfo_value(value)}" for key, value in sorted(url.query.items())
                 if isinstance(value, str)]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return [*args, "--dbname", " ".join(conninfo)], env


def server_major(engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000


def check_pg_dump(engine, bin_dir: str | None) -> tuple[str, int, str]:
    """pg_dump must be at least the server's major version: an older one refuses to dump a newer server."""
    path, major, version = pg_tool("pg_dump", bin_dir)
    server = server_major(engine)
    if major < server:
        raise BackupError(f"{version} cannot dump a PostgreSQL {server} server. Install "
                          f"postgresql-client-{server} or set PG_BIN_DIR to its bin folder.")
    return path, major, version


def pg_snapshot(engine, pg_dump: str, target: Path) -> dict:
    """pg_dump --format=custom under a snapshot exported from our own REPEATABLE READ transaction: the counts in
    the manifest and the dump see exactly the same data."""
    args, env = pg_connection_args(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        facts = _pg_facts(conn)
        command = [pg_dump, *args, "--format=custom", f"--snapshot={snapshot}", "--file", str(target)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # nosec B603  # no shell
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return facts


def _pg_facts(conn) -> dict:
    tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
        if "alembic_version" in tables else None
    counts = {t: conn.execute(_count(t)).scalar() for t in MAIN_TABLES if t in tables}
    return {"alembic_revision": revision, "row_counts": counts}


def pg_facts(engine) -> dict:
    with engine.connect() as conn:
        return _pg_facts(conn)


_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", re.MULTILINE)


def check_pg_restore(dump: Path, dump_major: int | None, bin_dir: str | None) -> tuple[str, set[str]]:
    """pg_restore must read the archive's format (as new as the pg_dump that wrote it) and list its contents;
    returns its path and the tables the dump holds."""
    path, major, version = pg_tool("pg_restore", bin_dir)
    if dump_major and major < dump_major:
        raise BackupError(f"The dump was written by pg_dump {dump_major}; {version} cannot read it. Install "
                          f"postgresql-client-{dump_major} or set PG_BIN_DIR.")
    command = [path, "--list", str(dump)]
    listed = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603  # no shell
    if listed.returncode != 0:
        raise BackupError(f"pg_restore cannot read the dump in the archive: {listed.stderr.strip()}")
    return path, {name for _schema, name in _TOC_TABLE.findall(listed.stdout)}


def pg_other_sessions(engine) -> int:
    """Sessions of other clients on the database: pg_restore waits for their locks (the dump's header sets
    lock_timeout to 0, so it cannot be told to give up), hence the operator is warned before confirming."""
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()").scalar()


def pg_restore(engine, pg_restore_path: str, dump: Path, dump_tables: set[str]) -> list[str]:
    """Replace the objects of the dump in the configured database, in one transaction: on any error nothing
    changes. Connections of other portal processes must not hold locks meanwhile (stop the portal).

    --clean drops only what the dump holds: tables made by migrations newer than the backup would stay and make
    the next `flask db upgrade` fail, so they are dropped afterwards; returns their names."""
    args, env = pg_connection_args(engine.url)
    command = [pg_restore_path, *args, "--clean", "--if-exists", "--no-owner", "--single-transaction", str(dump)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # nosec B603  # no shell
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed, the database was left as it was: {done.stderr.strip()}")
    with engine.begin() as conn:
        live = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
        extra = sorted(live - dump_tables)
        for name in extra:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    return extra
