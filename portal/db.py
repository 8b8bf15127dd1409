"""Database plumbing shared by every feature: timestamps, enum columns, SQLite pragmas, Thai ordering."""
import enum
import json
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import ARRAY, DateTime, Enum, ForeignKey, Integer, Text, any_, bindparam, event, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.thai import thai_sort_key

# Database objects made by hand in migrations, which the models do not describe (search indexes, the board of one
# cluster newest first and a province's listed firms on PostgreSQL):
# migrations/env.py and the migration test leave them out when comparing the models with the database.
UNMODELLED_DB_OBJECTS = (
    "firms_fts", "ix_firms_search_trgm", "ix_firms_search_bigrams", "search_bigrams",
    "collab_requests_fts", "ix_collab_requests_search_trgm", "ix_collab_requests_search_bigrams",
    "firm_words", "collab_request_words", "pk_firm_words", "pk_collab_request_words",
    "firms_words_fts", "collab_requests_words_fts", "ix_firms_words_gin", "ix_collab_requests_words_gin",
    "ix_collab_requests_cluster_newest", "ix_firms_province_listed",
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: skip the hand-made search objects above."""
    return not (reflected and compare_to is None and name and name.startswith(UNMODELLED_DB_OBJECTS))


def among(column, ids, session=None):
    """Criterion: the column's value is one of `ids`, sent as one parameter (an array on PostgreSQL, JSON
    walked by json_each on SQLite), so the statement is the same whatever their number: 2,000 separate
    parameters cost PostgreSQL ~10 ms to parse and plan, and a row-wise IN of thousands overflows its stack."""
    dialect = (session or db.session).get_bind().dialect.name
    value = among_ids(ids, dialect)
    return _among(column, dialect, bindparam(f"{column.key}_among", value, type_=_among_type(dialect)))


def among_kept(column, dialect: str):
    """among()'s criterion for a statement built once and kept (for one dialect): the ids are left to the
    statement's run, as the parameter among() names (`<column key>_among`), its value among_ids(ids, dialect)."""
    return _among(column, dialect, bindparam(f"{column.key}_among", type_=_among_type(dialect)))


def _among_type(dialect: str):
    return ARRAY(Integer) if dialect == "postgresql" else Text


def _among(column, dialect: str, parameter):
    if dialect == "postgresql":
        return column == any_(parameter)
    each = func.json_each(parameter).table_valued("value")
    return column.in_(select(each.c.value))


def among_ids(ids, dialect: str):
    """The value of an among_kept() parameter: the ids as among() sends them."""
    ids = list(ids)
    return ids if dialect == "postgresql" else json.dumps(ids)


_KEPT_STATEMENTS: dict = {}


def kept_statement(key: tuple, build: Callable):
    """build(), built once for `key` (names and flags: strings, numbers, booleans) and kept: a statement whose
    values are all parameters (among_kept, bindparam). Building a statement and its cache key again on every run
    cost 0.1-0.4 ms of CPU, about as much as running it; the results' kept counts ran some twenty statements so in
    every decision on a membership."""
    found = _KEPT_STATEMENTS.get(key)
    if found is None:
        found = _KEPT_STATEMENTS[key] = build()
    return found


def utcnow() -> datetime:
    """Timezone-aware now in UTC; pass the callable as a default, never its result."""
    return datetime.now(timezone.utc)


class Conflict(RuleViolation):
    """Another transaction changed the same row first. The message is read when it is shown, that is after
    the unit of work has rolled back, so it can tell the row's state as the other user left it."""

    def __init__(self, message: Callable[[], object], field: str | None = None):
        super().__init__(None, field)
        self._message = message

    @property
    def message(self):
        return self._message()

    @message.setter
    def message(self, value):  # RuleViolation.__init__ sets it; a conflict's message is always computed
        pass


def flush_or_conflict(message: Callable[[], object], unique: bool = False) -> None:
    """Write a decision now, before anything is recorded about it. If another transaction changed the
    same row first (its `version_id` moved on: StaleDataError) or, with `unique`, got in first under a
    unique index, Conflict(message) is raised. The service only flushes and raises: the unit of work
    around it (`unit_of_work`, or a job's own) rolls the transaction back, whole.

    Services call this right after a state change and before audit.record and notify, so the losing
    side leaves neither an audit row nor a notification."""
    conflicts = (StaleDataError, IntegrityError) if unique else (StaleDataError,)
    try:
        db.session.flush()
    except conflicts:
        raise Conflict(message) from None


def flush_or_refuse(message, field: str | None = None) -> None:
    """Flush; if a unique index refuses the row (the same thing asked twice at once), raise
    RuleViolation(message) for the unit of work to roll back."""
    try:
        db.session.flush()
    except IntegrityError:
        raise RuleViolation(message, field) from None


@contextmanager
def unit_of_work():
    """The one place a request (or a CLI command, or a job) settles what its services did: commit when they
    succeed; when a service refuses (RuleViolation, PermissionDenied) roll back everything the transaction
    wrote, so nothing half-done lands and the session is clean for the page that shows the message. Services
    flush and raise; they never commit or roll back themselves.

        try:
            with unit_of_work():
                services.close(current_user, collab_request, ...)
        except RuleViolation as exc:
            place_error(form, exc)
    """
    try:
        yield
    except (RuleViolation, PermissionDenied):
        db.session.rollback()
        raise
    db.session.commit()


def row_id(obj):
    """The primary key of a row the session holds (None for anything else), read from its identity: after a commit
    every row is expired, and reading obj.id loaded the whole row again (a view redirecting to what it just wrote,
    the access log naming the signed-in account)."""
    state = inspect(obj, raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None


class UTCDateTime(db.TypeDecorator):
    """Store UTC, always hand back aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class HideableMixin:
    """Moderation hides, and can restore; it never deletes. The owner sees the reason and may ask for a review."""

    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    review_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @declared_attr
    def hidden_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id"))

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


def enum_column(enum_class: type[enum.Enum], **kwargs):
    """A portable enum column storing the member's lowercase code (no native PG enum to migrate)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=max(len(m.value) for m in enum_class),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        **kwargs,
    )


# Thai has its own collation order (leading vowels เ แ โ ใ ไ sort by the consonant that follows them).
# PostgreSQL has it through ICU; SQLite gets a collation registered from Python on every connection.
PG_THAI_COLLATION = "th-x-icu"
SQLITE_THAI_COLLATION = "thai"


def thai_order(column):
    """ORDER BY expression that sorts Thai text the way Thai readers expect, on either database."""
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        return column.collate(PG_THAI_COLLATION)
    if name == "sqlite":
        return column.collate(SQLITE_THAI_COLLATION)
    return column


def _thai_collation(a: str, b: str) -> int:
    ka, kb = thai_sort_key(a), thai_sort_key(b)
    return (ka > kb) - (ka < kb)


@event.listens_for(Engine, "connect")
def _postgresql_no_jit(dbapi_connection, connection_record):
    """PostgreSQL's JIT off for the portal's connections: the planner turns it on for any statement whose
    estimate passes jit_above_cost, and compiling the scorecard's grouped counts took 1 to 3 s at 100,000
    firms, where running them takes tens of milliseconds. The portal's pages are short statements."""
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET outside any transaction: it lasts for the session
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.autocommit = autocommit


# psycopg turns a statement's %(name)s placeholders into PostgreSQL's $1, $2 on every execution, by a regular
# expression over the whole text, and keeps the result (an LRU of 128 statements) only for statements of at most
# 4,096 bytes and 50 parameters: its guard against ORMs' INSERT … VALUES of ever-changing lengths. The portal's
# longest statements are the search's window (search.rank._found: 12-14 kB and 170-190 parameters for two or three
# words, 20 kB and 325 for four), the same text for the same shape of query, converted again on every search page:
# 1.2-1.9 ms of CPU a page of two or three words on this machine. The limits are raised to cover searches of up to
# four words; the kept conversions stay 128 at most, each about 6.5 times its statement's length (88 kB for the
# 13 kB window of organic premium betta): 20 MB a process if all 128 were the longest, a few MB for the shapes of
# query people type. psycopg 3.3.9 (requirements.txt) reads both limits from its module at each execution;
# tests/test_db.py fails if an upgrade renames them or stops keeping a long statement's conversion.
PSYCOPG_CACHED_STATEMENT_LENGTH = 24_576
PSYCOPG_CACHED_STATEMENT_PARAMS = 400


def keep_long_statement_conversions() -> bool:
    """Raise psycopg's limits on the statements whose placeholder conversion it keeps (see above). False when
    psycopg is not installed or no longer has them."""
    try:
        from psycopg import _queries
    except ImportError:
        return False
    if not (hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH") and hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS")):
        return False
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, PSYCOPG_CACHED_STATEMENT_LENGTH)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, PSYCOPG_CACHED_STATEMENT_PARAMS)
    return True


keep_long_statement_conversions()


# SQLite reads the database through a memory map rather than a system call per page (its own page cache holds
# 2 MB): a search reading 1,500 firms' rows spent 2–5 ms of its CPU in the kernel without it, none with it
# (README, "Directory and search"). The map is the OS's page cache, shared by every connection and worker;
# 2 GiB less 64 KiB is the most this SQLite build maps (a bigger database reads the rest as before).
SQLITE_MMAP_BYTES = 2_147_418_112


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL and a busy timeout so concurrent writers wait instead of failing; reads through
    a memory map (SQLITE_MMAP_BYTES)."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()
    dbapi_connection.create_collation(SQLITE_THAI_COLLATION, _thai_collation)


# --- a pooled connection checked before use only after it sat idle --------------------------------------------
_CHECKED_IN = "portal_checked_in"  # time.monotonic() when the connection last went back to the pool


def ping_when_idle(engine, idle_seconds: float) -> None:
    """A connection taken from the pool is tested first (one round trip: SQLAlchemy's `pool_pre_ping`) only if
    it sat there longer than `idle_seconds`; one back within that was in use a moment ago. pool_pre_ping tests
    every one, every request: on PostgreSQL a round trip of about 0.1 ms of a kept page's 2.5 (README, "Round
    trips a request"). A dead connection (the database restarted, a firewall closed it) is replaced before the
    request uses it, as with pool_pre_ping, unless the database went down and came back within `idle_seconds`
    of its last use: that request then gets the 503 page and the pool is emptied of every connection as old.
    None: every connection is tested (pool_pre_ping's behaviour)."""
    import time

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, connection_record):
        connection_record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, connection_record, connection_proxy):
        back = connection_record.info.get(_CHECKED_IN)
        if back is None or (idle_seconds is not None and time.monotonic() - back <= idle_seconds):
            return  # just opened, or in use a moment ago
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                connection_record.info.pop(_CHECKED_IN, None)
                raise DisconnectionError() from error  # the pool opens another in its place
            raise


# --- ending a request's transaction ---------------------------------------------------------------------
# psycopg forgets the statements it prepared on a connection at every ROLLBACK (the rolled-back transaction
# may have dropped what they name), and every request's session ends with one when it is closed: so on
# PostgreSQL no statement was ever prepared, and each was parsed and planned again on every request (a firm
# page's look-up: 0.28 ms, 0.13 ms prepared). A request's transaction that wrote nothing ends with COMMIT
# instead, which is the same for the database and keeps them.
_WROTE = "portal_wrote"
_CONNECTION = "portal_connection"  # the connection of the session's transaction, once it has one


@event.listens_for(Engine, "begin")
def _transaction_begins(connection):
    connection.info[_WROTE] = False


_WRITING_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(connection, cursor, statement, parameters, context, executemany):
    """A SELECT reads; a WITH reads unless a writing word is anywhere in it (the searches' ranked windows are
    CTEs); anything else (INSERT, UPDATE, DELETE, a SAVEPOINT, a SET) counts as a write."""
    if connection.info.get(_WROTE):
        return
    head = statement.lstrip()[:6].upper()
    if head == "SELECT" or (head.startswith("WITH") and not _WRITING_WORD.search(statement)):
        return
    connection.info[_WROTE] = True


@event.listens_for(Session, "after_begin")
def _session_connected(session, transaction, connection):
    session.info[_CONNECTION] = connection


@event.listens_for(Session, "after_transaction_end")
def _session_ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_CONNECTION, None)


def session_connection(session):
    """The connection of the session's transaction, or None while it has none."""
    return session.info.get(_CONNECTION)


def end_read_only_request(exc=None) -> None:
    """teardown_request, before Flask-SQLAlchemy closes the session: on PostgreSQL, a transaction that read
    only is committed rather than rolled back. One that wrote anything, a request that failed, or a session that
    never reached the database (it is out of reach: nothing is tried again) is left to the session's close."""
    session = db.session()
    connection = session.info.get(_CONNECTION)
    if exc is not None or connection is None or session.new or session.dirty or session.deleted:
        return
    if connection.dialect.name != "postgresql" or not session.is_active or connection.info.get(_WROTE, True):
        return
    try:
        session.commit()
    except SQLAlchemyError:  # the connection was lost, say: nothing was written, so nothing is lost, and the
        return  # session's close rolls back what is left
