"""Test fixtures. The schema always comes from the migrations, on SQLite by default or on PostgreSQL
when TEST_DATABASE_URL is set (its database needs a UTF-8 LC_CTYPE, see README)."""
import os
import shutil
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from config import TestConfig
from portal import create_app
from portal.extensions import db
from portal.seed.reference import load_clusters, load_provinces

PG_URL = os.environ.get("TEST_DATABASE_URL")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"


def reset_postgres(url: str, schema: str = "public") -> None:
    """Drop and recreate a schema, so the migrations run on an empty database."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    with app.app_context():
        upgrade()
        _load_reference()
    yield app
    with app.app_context():
        db.engine.dispose()


def _load_reference():
    load_provinces()
    load_clusters()
    db.session.commit()


def _empty_database():
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Each test starts from the reference data only (provinces, organisations, clusters)."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            _empty_database()
            _load_reference()


@pytest.fixture
def ctx(app):
    """An application context for tests that only touch the database or call functions directly.

    Do not combine it with `client`: Flask's test client reuses an app context that is already
    pushed, so `g` (the cached locale) and the DB session would leak between requests. Tests that
    make requests set up their data inside their own `with app.app_context():` block.
    """
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


# --- browser ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(app):
    """The app served on a free loopback port in a thread, for the real browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}: CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package to run browser tests")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }
