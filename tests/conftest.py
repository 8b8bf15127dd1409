"""Test fixtures. The schema always comes from the migrations, on SQLite by default or on PostgreSQL
when TEST_DATABASE_URL is set (its database needs a UTF-8 LC_CTYPE, see README)."""
import os
import re
import shutil
import socket
import threading
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

from config import TestConfig
from portal import create_app
from portal.extensions import db
from portal.seed.reference import load_clusters, load_provinces
from tests.browser.quality import in_ci
from tests.helpers import build_cast, load_cast


def _database_of_this_worker(url: str | None) -> str | None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its own PostgreSQL database beside
    TEST_DATABASE_URL's, `<name>_gw0`, `<name>_gw1`, created like it (template0, UTF-8, C.UTF-8)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first() is None:
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'")
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _database_of_this_worker(os.environ.get("TEST_DATABASE_URL"))
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def reset_postgres(url: str, schema: str = "public") -> None:
    """Drop and recreate a schema, so the migrations run on an empty database."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def empty_database_app(tmp_path, schema: str, **settings):
    """An app on its own empty database: a fresh SQLite file, or a scratch PostgreSQL schema `schema`
    (dropped afterwards). A generator for a fixture to yield from; `settings` are extra config values."""
    from config import TestConfig
    from portal import create_app
    from portal.extensions import db as database

    if PG_URL:
        reset_postgres(PG_URL, schema)
        url, options = PG_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}
    else:
        url, options = f"sqlite:///{tmp_path / 'empty.db'}", {}
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                                            **settings})
    app = create_app(config)
    yield app
    with app.app_context():
        database.engine.dispose()
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def restore_logging():
    """A production app configures the root logger (JSON on stderr); put pytest's handlers back after."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class Mailbox:
    """Messages received by the test SMTP server, parsed (Thai subjects decoded)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler API
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def clear(self):
        self.messages.clear()

    def last_to(self, address):
        found = [m for m in self.messages if m["To"] == address]
        assert found, f"no mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link_in(self, message, path_fragment: str) -> str:
        """The first link in the message whose path contains the fragment, as a local path."""
        for url in re.findall(r"https?://\S+", self.body(message)):
            if path_fragment in url:
                return re.sub(r"^https?://[^/]+", "", url)
        raise AssertionError(f"no link with {path_fragment!r} in:\n{self.body(message)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on 127.0.0.1 for the whole run (aiosmtpd)."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    box = smtp_server[1]
    box.clear()
    yield box
    box.clear()


@pytest.fixture(scope="session")
def app(database_url, smtp_server, tmp_path_factory):
    controller, _box = smtp_server

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        MAIL_SERVER = "127.0.0.1"
        MAIL_PORT = controller.port
        MAIL_USE_TLS = False
        UPLOAD_DIR = str(tmp_path_factory.mktemp("uploads"))

    app = create_app(Config)
    with app.app_context():
        upgrade()
        _empty_database()  # the migrations load data too (the glossary's pairs): tests start without it
        _load_reference()
    yield app
    with app.app_context():
        db.engine.dispose()


def _load_reference():
    load_provinces()
    load_clusters()
    db.session.commit()


_DELETES_AT_ONCE: dict[int, str] = {}  # _empty_database's statements as one text (PostgreSQL), by tables known


def _empty_database():
    """Delete every row but the reference data; _load_reference then puts back any reference row a test
    changed or deleted (reloading all of it took ~40 ms a test, a minute of each CI run on PostgreSQL)."""
    db.session.rollback()
    if PG_URL:  # one round trip, not 66: 22 -> 6 ms a test, some 40 s of a PostgreSQL run's workers' time
        connection, known = db.session.connection(), len(db.metadata.tables)
        if known not in _DELETES_AT_ONCE:
            _DELETES_AT_ONCE[known] = "; ".join(str(delete.compile(connection, compile_kwargs={"literal_binds": True}))
                                                for delete in _deletes())
        connection.exec_driver_sql(_DELETES_AT_ONCE[known])
    else:
        for delete in _deletes():
            db.session.execute(delete)
    db.session.commit()


def _deletes() -> list:
    """Every table's rows, children first, but the reference data (provinces, and the organisations and clusters
    of portal/seed/reference.py)."""
    from portal.clusters.models import Cluster, Organisation
    from portal.firms.models import Province
    from portal.seed.reference import CLUSTERS, ORGANISATIONS

    reference = {Province.__table__, Organisation.__table__, Cluster.__table__}
    return [table.delete() for table in reversed(db.metadata.sorted_tables) if table not in reference] + [
        Cluster.__table__.delete().where(Cluster.slug.not_in([c[0] for c in CLUSTERS])),
        Organisation.__table__.delete().where(Organisation.slug.not_in([o[0] for o in ORGANISATIONS]))]


@pytest.fixture(autouse=True)
def _no_kept_search_windows():
    """Each test starts with no search window statements kept (portal.search.rank): a test that changes a setting
    of the search (a window's size, the statistics) would otherwise meet a statement another test's page kept."""
    from portal.search import rank

    rank._kept_windows.clear()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Each test starts from the reference data only (provinces, organisations, clusters)."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            _empty_database()
            _load_reference()


@pytest.fixture(scope="module")
def harness(app):
    """The fuzz modules' world and targets (tests/fuzz_harness.py), built once a module."""
    from tests.fuzz_harness import harness_for

    with harness_for(app) as fuzz:
        yield fuzz


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


# --- the usual cast (tests/helpers.py) ---------------------------------------------------------------

@pytest.fixture
def cast(app):
    """The usual cast of users and firms, committed; its ids by name (tests/helpers.py). For page tests:
    `signed_in(app, cast.email("owner"))`."""
    with app.app_context():
        return build_cast()


@pytest.fixture
def roles(app, cast):
    """The cast loaded in a request context, for calling rules: roles.users["owner"], roles.firms["A"].
    Like `ctx`, its context is shared by any test client request made meanwhile (see `ctx`)."""
    with app.test_request_context("/"):
        yield load_cast(cast)


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
        if in_ci():
            pytest.fail(f"Chromium not found at {CHROMIUM}: CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package to run browser tests")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture
def th(app):
    """th("English msgid", **values): the Thai text users should see, from the real catalogue; for a count,
    th("singular", plural="plural", num=n, **values), as ngettext."""
    from flask_babel import force_locale, gettext, ngettext

    def translate(msgid, plural=None, **values):
        with app.test_request_context("/?lang=th"), force_locale("th"):
            text = (ngettext(msgid, plural, values["num"], **{k: v for k, v in values.items() if k != "num"})
                    if plural else gettext(msgid, **values))
        assert text != msgid % values if values else text != msgid, f"not translated: {msgid}"
        return text

    return translate


_HTML_VERDICTS: list[dict] = []  # on the pytest-xdist controller: what each worker's validation said


def pytest_testnodedown(node, error):
    """pytest-xdist controller: a worker finished; keep its HTML verdict (sent in its workeroutput)."""
    verdict = getattr(node, "workeroutput", {}).get("html_verdict")
    if verdict:
        _HTML_VERDICTS.append(verdict)


def pytest_sessionfinish(session, exitstatus):
    """Every page the browser tests visited must be valid HTML (Nu validator, one run per process for all the
    pages it visited). Under pytest-xdist each worker validates its own pages and sends its verdict to the
    controller, which alone decides the run's exit status."""
    from tests.browser import quality

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter else print
    controller = not hasattr(session.config, "workeroutput") and getattr(session.config.option, "dist", "no") != "no"
    if controller:  # the xdist controller: the workers validated
        for verdict in _HTML_VERDICTS:
            write(verdict["summary"])
            if verdict["failed"]:
                write(verdict["report"])
                session.exitstatus = 1
        return
    errors, report = quality.validate_html()
    failed, summary = False, ""
    if errors == -1:
        summary, failed = f"HTML validation not run: {report}", in_ci()
    elif report != "no pages":
        summary = report.splitlines()[0] + (f": {errors} errors" if errors else ": no errors")
        failed = bool(errors)
    if hasattr(session.config, "workeroutput"):  # an xdist worker: tell the controller
        session.config.workeroutput["html_verdict"] = {"failed": failed, "summary": summary, "report": report}
        return
    if summary:
        write(summary)
    if failed:
        write(report)
        session.exitstatus = 1
