"""Migrations build the schema the models describe, from empty, on SQLite and on PostgreSQL."""
import re
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.schema import CreateIndex

from portal.db import SQLITE_MMAP_BYTES, UNMODELLED_DB_OBJECTS, include_object
from portal.extensions import db
from tests.conftest import empty_database_app
from tests.helpers import POSTGRESQL_RUN

SCRATCH_SCHEMA = "migration_check"


@pytest.fixture
def empty_app(tmp_path):
    """An app on its own empty database: a fresh SQLite file, or a scratch PostgreSQL schema."""
    yield from empty_database_app(tmp_path, SCRATCH_SCHEMA)


POSTINGS = {"firm_words", "collab_request_words"}  # PostgreSQL's search postings, kept by triggers, not models


def _tables():
    schema = SCRATCH_SCHEMA if db.engine.dialect.name == "postgresql" else None
    names = inspect(db.engine).get_table_names(schema=schema)
    return {t for t in names if not t.endswith(("_fts", "_fts_vocab", "_fts_data", "_fts_idx", "_fts_docsize",
                                                "_fts_config"))} - {"alembic_version", *POSTINGS}


EXPRESSION_INDEXES = {"ix_followups_list"}  # the models' indexes on an expression, which reflection skips


def _index_definition(name: str) -> str:
    """An index's definition as the database keeps it, its name left out: PostgreSQL's own canonical
    text; SQLite's CREATE statement as written, without case, spaces, quotes or brackets."""
    if db.engine.dialect.name == "postgresql":
        definition = db.session.scalar(text(
            "SELECT pg_get_indexdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relname = :name"), {"schema": SCRATCH_SCHEMA, "name": name})
        return definition.replace(f"INDEX {name} ON", "INDEX ON")
    definition = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
                                   {"name": name})
    return re.sub(r'[\s"`()\[\]]', "", definition.lower().replace(f"index {name} on", "index on"))


def _expression_indexes() -> dict[str, tuple[str, str]]:
    """{name: (its definition as migrated, as the model writes it)} of each index on an expression: the
    model's is created beside it under another name, read back the same way, and dropped. The search's hand-made
    indexes (portal.db.UNMODELLED_DB_OBJECTS, such as PostgreSQL's GIN index of each record's words) are left out:
    no model writes them."""
    if db.engine.dialect.name == "postgresql":
        names = db.session.scalars(text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = :schema AND i.indexprs IS NOT NULL"),
            {"schema": SCRATCH_SCHEMA})
    else:  # index_xinfo gives an expression the column number -2
        names = [name for name in db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
                 if any(row[1] == -2 for row in db.session.execute(text(f'PRAGMA index_xinfo("{name}")')))]
    names = [name for name in names if not name.startswith(UNMODELLED_DB_OBJECTS)]
    modelled = {index.name: index for table in db.metadata.tables.values() for index in table.indexes
                if any(not hasattr(expression, "name") for expression in index.expressions)}
    assert set(modelled) == EXPRESSION_INDEXES
    found = {}
    for name in names:
        found[name] = (_index_definition(name), None)
        if name in modelled:
            statement = str(CreateIndex(modelled[name]).compile(dialect=db.engine.dialect))
            db.session.execute(text(statement.replace(f"INDEX {name} ON", f"INDEX check_{name} ON", 1)))
            found[name] = (found[name][0], _index_definition(f"check_{name}"))
            db.session.execute(text(f"DROP INDEX check_{name}"))
    db.session.commit()
    return found


def test_migrate_empty_database_to_head_and_back(empty_app):
    with empty_app.app_context():
        assert _tables() == set()
        upgrade()
        assert _tables() == set(db.metadata.tables)
        with db.engine.connect() as conn, warnings.catch_warnings():
            # SQLAlchemy does not reflect an index on an expression; those are compared below.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        expression_indexes = _expression_indexes()
        assert set(expression_indexes) == EXPRESSION_INDEXES
        for name, (migrated, modelled) in expression_indexes.items():
            assert migrated == modelled, f"{name}: the migration made {migrated}, the model says {modelled}"
        downgrade(revision="base")
        assert _tables() == set()
        upgrade()
        assert _tables() == set(db.metadata.tables)


def test_sqlite_connections_enforce_foreign_keys_use_wal_and_map_the_file(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES  # pages read without a syscall


def test_postgres_database_is_utf8_for_thai_text(ctx):
    """Under LC_CTYPE=C, trigram search and Thai collation break; the test database must be UTF-8."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"
        ctype = conn.exec_driver_sql("SELECT datctype FROM pg_database WHERE datname = current_database()").scalar()
        assert "utf" in ctype.lower().replace("-", ""), ctype


def test_test_suite_runs_on_the_database_it_was_asked_for(ctx):
    expected = "postgresql" if POSTGRESQL_RUN else "sqlite"
    assert db.engine.dialect.name == expected


def test_outcomes_get_their_firm_cluster_and_aim_from_their_request_when_migrated(empty_app):
    """The migration that lets follow-up answers be outcomes fills each existing outcome's new columns
    from its request (poster, cluster, the kind's aim); down and up again gives the same values."""
    from datetime import date
    from decimal import Decimal

    from portal.collab.models import CloseReason, CollabRequest, Kind, Outcome, OutcomeKind, RequestStatus
    from portal.seed.reference import load_clusters, load_provinces
    from tests import factories

    with empty_app.app_context():
        upgrade()
        load_provinces()
        load_clusters()
        poster, partner, betta = factories.firm(), factories.firm(), factories.cluster("betta")
        rows = []
        for kind, cluster_id in ((Kind.TRADE_FAIR, betta.id), (Kind.JOINT_PURCHASING, None)):
            request = CollabRequest(firm_id=poster.id, cluster_id=cluster_id, kind=kind, title_th="ร่วมออกบูธ",
                                    expires_on=date(2026, 1, 1), fiscal_year=2569, status=RequestStatus.CLOSED,
                                    close_reason=CloseReason.PARTNERED)
            db.session.add(request)
            db.session.flush()
            db.session.add(Outcome.of_request(request, partner_firm_id=partner.id, value_baht=Decimal(1),
                                              kind=OutcomeKind.NEW_SALES, fiscal_year=2569))
            rows.append((poster.id, cluster_id, kind.aim.value))
        db.session.commit()
        poster_id, betta_id = poster.id, betta.id
        db.session.remove()
        downgrade(revision="d7e3b1f5a9c2")
        with db.engine.connect() as conn:
            assert "aim" not in {c["name"] for c in inspect(conn).get_columns("collab_outcomes")}
        upgrade()
        with db.engine.connect() as conn:
            found = conn.execute(text("SELECT firm_id, cluster_id, aim FROM collab_outcomes ORDER BY id")).all()
        assert [tuple(r) for r in found] == rows == [(poster_id, betta_id, "market"), (poster_id, None, "cost")]


def test_meeting_requests_carry_their_registrations_firms_after_the_migration(empty_app):
    """New requests get their firms from the model; the migration fills those of the requests already there
    (played here by emptying them, going down one revision and up again)."""
    from flask_migrate import downgrade, upgrade

    from portal.seed.reference import load_clusters, load_provinces
    from tests import scorecard_world

    every = text("SELECT r.from_firm_id, s.firm_id, r.to_firm_id, t.firm_id FROM meeting_requests r "
                 "JOIN event_registrations s ON s.id = r.from_registration_id "
                 "JOIN event_registrations t ON t.id = r.to_registration_id ORDER BY r.id")
    with empty_app.app_context():
        upgrade()
        load_provinces()
        load_clusters()
        scorecard_world.build()
        db.session.commit()
        made = db.session.execute(every).all()
        assert made and all(a == b and c == d for a, b, c, d in made)
        db.session.execute(text("UPDATE meeting_requests SET from_firm_id = NULL, to_firm_id = NULL"))
        db.session.commit()
        db.session.remove()
        downgrade(revision="b5d2e8f1c4a7")
        upgrade()
        assert db.session.execute(every).all() == made


@pytest.mark.skipif(not POSTGRESQL_RUN, reason="PostgreSQL compresses long values; SQLite stores text as it is")
def test_firms_search_columns_are_stored_uncompressed_before_and_after_the_migration(empty_app):
    """Searches read search_text and the words_* columns on every record they test or score, and PostgreSQL
    decompresses a value on each read. A firm written before the migration has them compressed (its row is past
    the 2 kB threshold); the migration rewrites them uncompressed, leaving its values, bigrams and postings as they
    were; a firm written after keeps them uncompressed; the descriptions, which no search reads, stay compressed."""
    from portal.firms.models import Firm
    from portal.seed.reference import load_provinces
    from tests import factories

    columns = ("search_text", "words_name", "words_products", "words_body")
    long_text = "ฟาร์มปลากัดสายพันธุ์แท้ส่งออกต่างประเทศ เลี้ยงด้วยน้ำสะอาด " * 2  # a row of 2-3 kB, as in the bench

    def stored(firm_id):
        listed = ", ".join(f"pg_column_compression({c}) IS NOT NULL" for c in (*columns, "description_th"))
        return db.session.execute(text(f"SELECT {listed} FROM firms WHERE id = :id"), {"id": firm_id}).one()

    def kept(firm_id):
        return db.session.execute(text(
            "SELECT f.search_text, f.words_name, f.words_products, f.words_body, f.description_th, f.search_bigrams, "
            "(SELECT array_agg(word ORDER BY word) FROM firm_words w WHERE w.firm_id = f.id) FROM firms f "
            "WHERE f.id = :id"), {"id": firm_id}).one()

    with empty_app.app_context():
        upgrade(revision="b3d5f7a9c2e4")
        load_provinces()
        before = factories.firm(name_th="ฟาร์มปลากัดบางกอก", description_th=long_text,
                                description_en="betta fish farm " * 20, products_th="ปลากัด อาหารปลา")
        db.session.commit()
        assert stored(before.id) == (True, False, False, True, True)  # compressed, the long ones
        values = kept(before.id)
        db.session.remove()
        upgrade()
        assert stored(before.id) == (False, False, False, False, True)
        assert kept(before.id) == values
        after = factories.firm(name_th="ร้านปลากัดสยาม", description_th=long_text,
                               description_en="betta fish farm " * 20, products_th="ปลากัด อาหารปลา")
        db.session.commit()
        assert stored(after.id) == (False, False, False, False, True)
        found = db.session.scalars(db.select(Firm.id).where(Firm.search_text.like("%ปลากัด%")).order_by(Firm.id))
        assert list(found) == [before.id, after.id]
        db.session.remove()
        downgrade(revision="b3d5f7a9c2e4")
        storage = db.session.execute(text(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'firms'::regclass AND attname IN "
            "('search_text', 'words_name', 'words_products', 'words_body')")).all()
        assert {name: kind for name, kind in storage} == dict.fromkeys(columns, "x")
