"""Kept listing pages (portal/pagecache.py): served again while the data is unchanged, rendered afresh by
every process the moment a write commits, never kept for one visitor's page, and signed in kept per audience
with each person's own menu and token filled in.

Two apps with keeping on share the suite's database: two workers (or two machines) of one portal.
"""
import io
import logging
import re
import time
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, select, text, update

from bench.load import kept_pages
from config import TestConfig
from portal import create_app, reference
from portal.audit import record
from portal.auth.models import User
from portal.clusters.models import Membership, Position
from portal.collab.models import CollabRequest, Kind
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.notifications.models import Notification
from portal.pagecache import EVERY_TABLE, tables_written
from portal.thai import bangkok_today, fiscal_year
from portal.web import log_handler
from tests import factories
from tests.helpers import body, get_counting, get_statements, signed_in

PAGES = ["/", "/results", "/clusters/", "/clusters/betta", "/clusters/betta/members/upstream", "/directory/",
         "/directory/?q=ปลากัด", "/directory/?cluster=betta&sort=name", "/requests/", "/firms/{firm}"]


def keeping(app, **settings):
    """An app instance that keeps pages, on the suite's database (its schema and data)."""

    class Keeping(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_DIR = app.config["UPLOAD_DIR"]
        PAGE_CACHE_SECONDS = 60
        PAGE_CACHE_ENTRIES = 50

    for name, value in settings.items():
        setattr(Keeping, name, value)
    return create_app(Keeping)


@pytest.fixture
def workers(app):
    """Two app instances that keep pages: two workers (or machines) of one portal."""
    made = [keeping(app), keeping(app)]
    yield made
    for one in made:
        with one.app_context():
            db.engine.dispose()


@pytest.fixture
def firm_id(app):
    with app.app_context():
        firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm")
        factories.membership(firm, factories.cluster("betta"))
        db.session.commit()
        return firm.id


def statements(worker, url):
    """(response, SQL statements it ran) for a GET on a new client of `worker`: a new visitor."""
    return get_counting(worker, worker.test_client(), url)


def rename(app, firm_id, name):
    with app.app_context():
        db.session.get(Firm, firm_id).name_en = name
        db.session.commit()


@pytest.mark.parametrize("page", PAGES)
def test_a_kept_page_costs_one_statement_until_a_write_renders_it_again(app, workers, firm_id, page):
    url = page.format(firm=firm_id)
    rename(app, firm_id, "Bangkok Betta Farm")  # a generation exists
    first, rendered = statements(workers[0], url)
    again, kept = statements(workers[0], url)
    assert first.status_code == again.status_code == 200
    assert body(again) == body(first)
    assert kept == 1 < rendered  # the generation's read only
    rename(app, firm_id, "Bangkok Betta Farm Co.")  # committed by another process
    _, after = statements(workers[0], url)
    assert after > 1


def test_every_process_shows_a_change_at_once(app, workers, firm_id):
    rename(app, firm_id, "Bangkok Betta Farm")
    for worker in workers:
        for url in ("/directory/?lang=en", f"/firms/{firm_id}?lang=en"):
            assert "Bangkok Betta Farm" in body(worker.test_client().get(url))
    with workers[0].app_context():  # a write through one worker
        db.session.get(Firm, firm_id).name_en = "Siam Fighting Fish"
        db.session.commit()
    for worker in reversed(workers):
        for url in ("/directory/?lang=en", f"/firms/{firm_id}?lang=en"):
            page = body(worker.test_client().get(url))
            assert "Siam Fighting Fish" in page and "Bangkok Betta Farm" not in page


# Which writes render which kept pages again: each page is rendered again by a write to a table it read, and only
# by that. The directory reads firms; the request board requests and their firms; a cluster's page its members,
# their positions and the results' counts (its member figures), which a request posted changes too (the firm is
# active).
@pytest.mark.parametrize("write, directory, board, cluster", [
    ("an ORM change to a firm", True, True, True),
    ("an UPDATE statement on firms", True, True, True),
    ("a text() UPDATE of firms", True, True, True),
    ("a new membership", False, False, True),
    ("a membership's position, as a text() INSERT", False, False, True),
    ("a request posted", False, True, True),
    ("a request's title, as an UPDATE statement", False, True, False),
    ("an audit entry only", False, False, False),
    ("a new account", False, False, False),
    ("a user's sign-in time only", False, False, False),
    ("a user's name", False, False, False),
    ("a firm change rolled back", False, False, False),
    ("a write to a table the portal does not know", True, True, True),
])
def test_which_writes_render_which_pages_again(app, workers, firm_id, write, directory, board, cluster):
    pages = {"/directory/": directory, "/requests/": board, "/clusters/betta": cluster}
    with app.app_context():
        account = factories.user().id
        betta = factories.cluster("betta")
        request_id = _request(firm_id, betta.id)
        newcomer = factories.firm(name_th="ฟาร์มใหม่").id
        if write == "a write to a table the portal does not know":
            db.session.execute(text("CREATE TABLE IF NOT EXISTS scratch_notes (note text)"))
        db.session.commit()
    rename(app, firm_id, "Bangkok Betta Farm")
    for url in pages:
        statements(workers[0], url)
        assert statements(workers[0], url)[1] == 1  # kept
    with app.app_context():
        if write == "an ORM change to a firm":
            db.session.get(Firm, firm_id).description_en = "Halal certified"
        elif write == "an UPDATE statement on firms":
            db.session.execute(update(Firm).where(Firm.id == firm_id).values(description_en="Organic"))
        elif write == "a text() UPDATE of firms":
            db.session.execute(text("UPDATE firms SET description_en = 'Export' WHERE id = :id"), {"id": firm_id})
        elif write == "a new membership":
            factories.membership(db.session.get(Firm, newcomer), factories.cluster("cosplay"))
        elif write == "a membership's position, as a text() INSERT":
            membership = db.session.scalar(select(Membership.id).where(Membership.firm_id == firm_id))
            db.session.execute(text("INSERT INTO membership_positions (membership_id, position) VALUES (:id, :p)"),
                               {"id": membership, "p": Position.DOWNSTREAM.value})
        elif write == "a request posted":
            _request(firm_id, None)
        elif write == "a request's title, as an UPDATE statement":
            db.session.execute(update(CollabRequest).where(CollabRequest.id == request_id).values(title_en="Sold"))
        elif write == "an audit entry only":
            record(None, "test.nothing", None)
        elif write == "a new account":
            factories.user()
        elif write == "a user's sign-in time only":
            db.session.get(User, account).last_login_at = utcnow()
        elif write == "a user's name":
            db.session.get(User, account).name = "Somchai"
        elif write == "a firm change rolled back":
            db.session.get(Firm, firm_id).name_en = "Never Shown"
            db.session.flush()
            db.session.rollback()
        elif write == "a write to a table the portal does not know":
            db.session.execute(text("INSERT INTO scratch_notes (note) VALUES ('x')"))
        db.session.commit()
    try:
        assert {url: statements(workers[0], url)[1] > 1 for url in pages} == pages
    finally:
        if write == "a write to a table the portal does not know":
            with app.app_context():
                db.session.execute(text("DROP TABLE scratch_notes"))
                db.session.commit()


def _request(firm_id, cluster_id) -> int:
    posted = CollabRequest(firm_id=firm_id, cluster_id=cluster_id, kind=Kind.SEEKING_SUPPLIER, title_th="หาผู้ส่ง",
                           title_en="Seeking suppliers", expires_on=bangkok_today() + timedelta(days=30),
                           fiscal_year=fiscal_year(utcnow()))
    db.session.add(posted)
    db.session.flush()
    return posted.id


def test_a_delete_is_a_write_to_what_the_database_deletes_with_it():
    """ON DELETE CASCADE / SET NULL: the rows the database removes or empties are written too."""
    with create_app(TestConfig).app_context():
        assert {"memberships", "membership_positions"} <= tables_written("DELETE FROM memberships WHERE id = 1")
        assert tables_written("UPDATE memberships SET status = 'x' WHERE id = 1") == {"memberships"}
        assert tables_written("DELETE FROM audit_entries WHERE id = 1") == frozenset()
        assert tables_written("UPDATE users SET last_login_at = ? WHERE users.id = ?") == frozenset()
        assert tables_written("UPDATE users SET last_login_at = ?, name = ? WHERE users.id = ?") == {"users"}
        assert tables_written("SELECT * FROM firms FOR UPDATE") == frozenset()
        assert tables_written("INSERT INTO firm_words (word, firm_id) VALUES ('a', 1)") == {"firms"}
        assert tables_written("INSERT INTO scratch (a) VALUES (1)") == {EVERY_TABLE}
        upsert = "INSERT INTO glossary_entries (key_th) VALUES (?) ON CONFLICT (key_th) DO UPDATE SET key_en = ?"
        assert tables_written(upsert) == {"glossary_entries"}


def test_a_sign_in_as_the_app_records_it_renews_no_generation(app):
    """The statement the sign-in really sends (portal.auth.services.record_sign_in: the ORM also stamps
    updated_at) writes nothing a public page shows."""
    from portal.auth.services import record_sign_in

    sent = []

    def note(_connection, _cursor, statement, *_rest):
        sent.append(statement)

    with app.app_context():
        account = factories.user()
        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            record_sign_in(db.session.get(User, account.id))
            db.session.flush()
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        db.session.rollback()
    updates = [statement for statement in sent if statement.lstrip().upper().startswith("UPDATE USERS")]
    assert updates and all(tables_written(statement) == frozenset() for statement in updates), updates


def test_pages_that_are_never_kept(app, workers, firm_id, cast):
    rename(app, firm_id, "Bangkok Betta Farm")
    worker = workers[0]
    for url in ("/events/", "/privacy", "/directory/?page=abc&" + "q=" + "ป" * 2100, "/firms/999999"):
        statements(worker, url)
        statements(worker, url)
    assert len(worker.extensions["pagecache"]) == 0  # none of them was kept
    statements(app, "/directory/")
    statements(app, "/directory/")
    assert len(app.extensions["pagecache"]) == 0  # keeping off (PAGE_CACHE_SECONDS = 0): every visit renders
    member = signed_in(worker, cast.email("owner"))
    for url in (f"/firms/{firm_id}", "/clusters/betta", "/notifications/"):  # one's follow buttons, edit links
        member.get(url)
        response, ran = get_counting(worker, member, url)
        assert response.status_code == 200 and ran > 1, url  # signed in: rendered for that person every time


def test_each_language_and_address_is_kept_apart(app, workers, firm_id):
    rename(app, firm_id, "Bangkok Betta Farm")
    client = workers[0].test_client()
    thai = body(client.get("/directory/?lang=th"))
    english = body(client.get("/directory/?lang=en"))
    assert '<html lang="th"' in thai and '<html lang="en"' in english
    assert body(workers[0].test_client().get("/directory/?lang=th")) == thai
    # the language chosen earlier in the visit (kept in the session) picks the kept page too
    assert '<html lang="en"' in body(client.get("/directory/"))
    assert '<html lang="th"' in body(workers[0].test_client().get("/directory/", headers={"Accept-Language": "th"}))
    searched = body(client.get("/directory/?q=zebra&lang=en"))
    assert "Bangkok Betta Farm" not in searched.split("<main", 1)[1]


def test_a_kept_page_is_rendered_again_once_page_cache_seconds_have_passed(app, firm_id, monkeypatch):
    """Kept at most PAGE_CACHE_SECONDS (60) even when nothing is written: the per-process headline counts on the
    pages are that old at most."""
    later = [0.0]
    start = time.monotonic()  # a clock that moves only when the test moves it: a slow machine's real seconds
    monkeypatch.setattr(time, "monotonic", lambda: start + later[0])  # would otherwise add to `later`
    worker = keeping(app)
    try:
        first, _ = statements(worker, "/directory/")
        for seconds, kept in ((0, True), (59, True), (61, False)):
            later[0] = seconds
            again, ran = statements(worker, "/directory/")
            assert (ran == 1) is kept, seconds
            assert body(again) == body(first)
    finally:
        with worker.app_context():
            db.engine.dispose()


def test_a_page_showing_figures_kept_in_memory_is_kept_no_longer_than_the_figures(app, firm_id, monkeypatch):
    """The home page's headline figures are counted once every COUNTS_CACHE_SECONDS in a process: a page showing
    them is kept no longer than they are, so it is never older than the figures a fresh render would show, and a
    new member shows there once the figures are counted again, as before pages were kept."""
    later = [0.0]
    start = time.monotonic()  # a clock that moves only when the test moves it: a slow machine's real seconds
    monkeypatch.setattr(time, "monotonic", lambda: start + later[0])  # would otherwise add to `later`
    reference.clear()
    worker = keeping(app, COUNTS_CACHE_SECONDS=30)
    try:
        first, _ = statements(worker, "/?lang=en")  # the figures counted now, for 30 s
        with app.app_context():  # a new member firm: the home page reads memberships, so it is rendered again,
            factories.membership(factories.firm(name_th="ฟาร์มใหม่"), factories.cluster("betta"))  # with the
            db.session.commit()  # figures as they were counted (the same page)
        for seconds, kept in ((1, False), (2, True), (29, True), (31, False)):
            later[0] = seconds
            page, ran = statements(worker, "/?lang=en")
            assert (ran == 1) is kept, seconds
            assert (body(page) == body(first)) is (seconds < 30), seconds  # counted again at 31: two members
    finally:
        reference.clear()
        with worker.app_context():
            db.engine.dispose()


def test_requests_made_inside_one_open_app_context_each_read_the_generations_again(app, firm_id):
    """A test or a script holding an app context open shares `g` between its requests: a change committed between
    two of them is still on the second page, not the generations the first request read."""
    worker = keeping(app)
    client = worker.test_client()
    rename(app, firm_id, "Bangkok Betta Farm")
    try:
        with worker.app_context():
            assert "Bangkok Betta Farm" in body(client.get("/directory/?lang=en"))
            assert "Bangkok Betta Farm" in body(client.get("/directory/?lang=en"))  # kept
            rename(app, firm_id, "Siam Fighting Fish")
            assert "Siam Fighting Fish" in body(client.get("/directory/?lang=en"))
    finally:
        with worker.app_context():
            db.engine.dispose()


def test_a_kept_page_gets_its_own_request_id_and_the_security_headers(app, workers, firm_id):
    rename(app, firm_id, "Bangkok Betta Farm")
    first, _ = statements(workers[0], "/directory/")
    again, ran = statements(workers[0], "/directory/")
    assert ran == 1
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    for name in ("Content-Security-Policy", "Content-Type", "X-Content-Type-Options", "Vary"):
        assert again.headers.get(name) == first.headers.get(name), name
    assert "Set-Cookie" not in again.headers


def test_a_flashed_message_is_shown_to_its_visitor_only(app, workers, firm_id):
    rename(app, firm_id, "Bangkok Betta Farm")
    worker = workers[0]
    statements(worker, "/directory/?lang=en")
    visitor = worker.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor")]
    assert "A message for this visitor" in body(visitor.get("/directory/?lang=en"))
    assert "A message for this visitor" not in body(worker.test_client().get("/directory/?lang=en"))
    assert "A message for this visitor" not in body(visitor.get("/directory/?lang=en"))  # shown once


def test_writes_nobody_reads_on_a_public_page_leave_sign_ins_cheap(app, workers, firm_id, cast):
    rename(app, firm_id, "Bangkok Betta Farm")
    statements(workers[0], "/directory/")
    signed_in(workers[1], cast.email("owner")).get("/notifications/")
    with app.app_context():
        assert db.session.get(User, cast.users["owner"]) is not None
    _, ran = statements(workers[0], "/directory/")
    assert ran == 1


def test_before_the_migration_that_adds_the_generation_pages_are_rendered_and_writes_go_on(app, cast, firm_id):
    """The code deployed before `flask db upgrade`: without page_table_generations nothing is kept, signed in or not,
    and writes commit; once the table is there (a new process after the upgrade) pages are kept again."""
    with app.app_context():
        db.session.execute(text("ALTER TABLE page_table_generations RENAME TO page_table_generations_later"))
        db.session.commit()
    try:
        worker = keeping(app)
        owner = signed_in(worker, cast.email("owner"))
        owner.get("/privacy")
        for client in (owner, worker.test_client()):
            client.get("/directory/")
            again, ran = get_counting(worker, client, "/directory/")
            assert again.status_code == 200 and ran > 1  # rendered again: nothing kept
        rename(worker, firm_id, "Renamed before the upgrade")
        assert "Renamed before the upgrade" in body(owner.get("/directory/?lang=en"))
        with worker.app_context():
            db.engine.dispose()
    finally:
        with app.app_context():
            db.session.execute(text("ALTER TABLE page_table_generations_later RENAME TO page_table_generations"))
            db.session.commit()
    worker = keeping(app)
    owner = signed_in(worker, cast.email("owner"))
    owner.get("/privacy")
    owner.get("/directory/")
    _, ran = get_counting(worker, owner, "/directory/")
    assert ran == 1
    with worker.app_context():
        db.engine.dispose()


def test_a_request_page_is_kept_for_visitors_and_gives_them_no_cookie(app, cast):
    """The respond and renew forms (each with a visitor's CSRF token) are built only for who sees them."""
    from portal.collab import services as collab
    from portal.collab.models import Kind

    with app.app_context():
        owner = db.session.get(User, cast.users["owner"])
        firm = db.session.get(Firm, cast.firms["A"])
        posted = collab.post_request(owner, firm, {
            "cluster_id": cast.clusters["betta"], "kind": Kind.SEEKING_SUPPLIER, "title_th": "หาปลากัดเกรดส่งออก",
            "title_en": "Export-grade bettas wanted"})
        db.session.commit()
        url = f"/requests/{posted.id}"
    worker = keeping(app, WTF_CSRF_ENABLED=True)  # as in production: a form carries its visitor's token
    first, rendered = statements(worker, url)
    again, kept = statements(worker, url)
    with worker.app_context():
        db.engine.dispose()
    assert "หาปลากัดเกรดส่งออก" in body(again) and body(again) == body(first)
    assert "Set-Cookie" not in first.headers and "csrf_token" not in body(first)
    assert kept == 1 < rendered


@pytest.mark.parametrize("page", PAGES)
def test_no_listing_page_gives_a_visitor_a_token_or_a_cookie(app, firm_id, page):
    """With CSRF on, as in production: a page that built a form would carry a token (and start a session),
    and could not be kept."""
    worker = keeping(app, WTF_CSRF_ENABLED=True)
    try:
        first, _ = statements(worker, page.format(firm=firm_id))
        _, kept = statements(worker, page.format(firm=firm_id))
    finally:
        with worker.app_context():
            db.engine.dispose()
    assert "Set-Cookie" not in first.headers and "csrf_token" not in body(first)
    assert kept == 1


# Signed in: the listing pages whose content is the same for everyone who sees the same list.
MEMBER_PAGES = ["/", "/results", "/clusters/", "/clusters/betta/members/upstream", "/directory/",
                "/directory/?q=ปลากัด&lang=en", "/directory/?cluster=betta&sort=name", "/requests/"]
# Who looks, in this order, on one worker: owner, coordinator and staff share an audience (every firm not
# hidden, may save searches) but not a menu (unread badge, role links); an unconfirmed user (no saved searches)
# and a visitor (publicly listed firms only) are audiences of their own; the owner of two firms is the owner's.
VIEWERS = ["owner", "coordinator", "staff", "unconfirmed", "owner_of_two", "anonymous"]
TOKEN = re.compile(r'name="csrf_token"([^>]*) value="[^"]*"')


def _as_seen(page: str) -> str:
    return TOKEN.sub(r'name="csrf_token"\1 value=""', page)


@pytest.fixture
def unread(app, cast):
    """The owner has two unread notifications, the coordinator none: their menus differ."""
    with app.app_context():
        for _ in range(2):
            db.session.add(Notification(user_id=cast.users["owner"], kind="test", target_type="system",
                                        target_id=None, params={}))
        firm = db.session.get(Firm, cast.firms["A"])
        firm.public_listing_consent_at = None  # listed for members only: visitors must not see it
        db.session.commit()


@pytest.mark.parametrize("page", MEMBER_PAGES)
def test_a_page_kept_signed_in_is_what_each_person_would_see_rendered(app, cast, unread, page):
    worker = keeping(app)
    clients = {who: (worker.test_client() if who == "anonymous" else signed_in(worker, cast.email(who)))
               for who in VIEWERS}
    rendered = {who: (app.test_client() if who == "anonymous" else signed_in(app, cast.email(who)))
                for who in VIEWERS}
    for client in (*clients.values(), *rendered.values()):
        client.get("/privacy")  # the "signed in" message is shown there, not on the page measured
    try:
        for who in VIEWERS:
            kept = clients[who].get(page)
            fresh = rendered[who].get(page)  # the suite's app keeps nothing
            assert kept.status_code == fresh.status_code == 200, who
            assert _as_seen(body(kept)) == _as_seen(body(fresh)), who
        _, ran = get_counting(worker, clients["coordinator"], page)
        assert ran == 1  # the signed-in user, with the unread count and the generation
    finally:
        with worker.app_context():
            db.engine.dispose()
    assert 'class="count-badge">2<' in body(clients["owner"].get(page))
    assert 'class="count-badge"' not in body(clients["coordinator"].get(page))
    if page.startswith("/directory/") and "q=" not in page:  # firm A is listed for members only
        assert "กิจการ A" in body(clients["staff"].get(page)) and "กิจการ A" in body(clients["unconfirmed"].get(page))
        assert "กิจการ A" not in body(clients["anonymous"].get(page))


def test_going_from_page_to_page_signed_in_each_menu_marks_its_own_page(app, cast, unread):
    """The menu is kept apart from the pages (per language, page, unread count and role links): one person going
    through every listing page twice, in Thai then in English, on one worker gets each page as rendered for them,
    its own menu entry marked current, in its language."""
    worker = keeping(app)
    kept, fresh = signed_in(worker, cast.email("owner")), signed_in(app, cast.email("owner"))
    for client in (kept, fresh):
        client.get("/privacy")
    try:
        for lang in ("th", "en", "th", "en"):
            for page in MEMBER_PAGES:
                url = page if "lang=" in page else f"{page}{'&' if '?' in page else '?'}lang={lang}"
                assert _as_seen(body(kept.get(url))) == _as_seen(body(fresh.get(url))), url
        _, ran = get_counting(worker, kept, "/requests/?lang=en")
        assert ran == 1
    finally:
        with worker.app_context():
            db.engine.dispose()


def test_a_kept_signed_in_page_carries_each_persons_own_working_token(app, cast, unread):
    """With CSRF on, as in production: the language switch (a form) on a page kept for another person posts
    with this person's token."""
    worker = keeping(app, WTF_CSRF_ENABLED=True)
    try:
        signed_in_as = {}
        for who in ("owner", "coordinator"):
            client = worker.test_client()
            login = client.get("/auth/login")
            token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', body(login)).group(1)
            response = client.post("/auth/login", data={"email": cast.email(who), "password": factories.PASSWORD,
                                                        "csrf_token": token})
            assert response.status_code == 302, who
            client.get("/privacy")  # the "signed in" message is shown there
            client.get("/notifications/")  # the session's first gated page: the notice's acceptance is looked up
            signed_in_as[who] = client
        signed_in_as["owner"].get("/directory/")
        page, ran = get_counting(worker, signed_in_as["coordinator"], "/directory/")
        assert ran == 1  # kept: it was rendered for the owner
        token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', body(page)).group(1)
        switched = signed_in_as["coordinator"].post("/auth/lang/en", data={"csrf_token": token})
        assert switched.status_code == 303
        signed_in_as["owner"].post("/auth/lang/en", data={"csrf_token": token})  # another person's token
        with worker.app_context():
            assert db.session.get(User, cast.users["coordinator"]).locale == "en"
            assert db.session.get(User, cast.users["owner"]).locale == "th"  # refused
    finally:
        with worker.app_context():
            db.engine.dispose()


def test_how_often_a_page_was_served_kept_is_counted_and_logged(app, workers, firm_id, caplog):
    """portal_kept_pages_total{outcome} and the access log's "kept" say how often a page that may be kept was
    served kept or rendered: what an operator (or `make load`) reads the cache's worth from. A page that is never
    kept (a form) is in neither."""
    def counted(outcome):
        return REGISTRY.get_sample_value("portal_kept_pages_total", {"outcome": outcome}) or 0.0

    url = f"/firms/{firm_id}"
    rename(app, firm_id, "Bangkok Betta Farm")
    before = counted("served"), counted("rendered")
    with caplog.at_level(logging.INFO, logger="portal.access"):
        statements(workers[0], url)
        statements(workers[0], url)
        rename(app, firm_id, "Bangkok Betta Farm, renamed")
        statements(workers[0], url)
        statements(workers[0], "/auth/login")
    assert (counted("served") - before[0], counted("rendered") - before[1]) == (1, 2)
    logged = [(r.path, getattr(r, "kept", None)) for r in caplog.records if r.name == "portal.access"]
    assert logged == [(url, "rendered"), (url, "served"), (url, "rendered"), ("/auth/login", None)]
    # The same lines as production writes them (JSON), read back as `make load` reads its gunicorn log.
    written = io.StringIO()
    handler = log_handler("json", written)
    for entry in caplog.records:
        if entry.name == "portal.access":
            handler.handle(entry)
    assert kept_pages(written.getvalue()) == {"firms.detail": [1, 2]}


def glossary_asked(worker, url) -> bool:
    """Whether a new visitor's GET of `url` on `worker` asked the glossary (and the page is 200)."""
    response, ran = get_statements(worker, worker.test_client(), url)
    assert response.status_code == 200
    return any("glossary_entries" in statement for statement in ran)


def test_a_search_asks_the_glossary_once_a_generation_and_a_new_pair_is_used_at_once(app, workers, firm_id):
    """A process keeps the glossary's forms of a search's words under the pages' generation: another page of the
    same words asks no more; a pair staff add is a new generation, used by the next search of every process."""
    from portal.glossary.models import GlossaryEntry

    with app.app_context():
        factories.firm(name_th="Siam Betta Export")  # only the English word
        db.session.commit()
    one, other = workers
    assert glossary_asked(one, "/directory/?q=ปลากัด&lang=en")
    assert not glossary_asked(one, "/directory/?q=ปลากัด&sort=name&lang=en")  # rendered, the glossary kept
    assert "Siam Betta Export" not in body(one.test_client().get("/directory/?q=ปลากัด&sort=newest&lang=en"))
    with app.app_context():
        db.session.add(GlossaryEntry(term_th="ปลากัด", term_en="betta", key_th="ปลากัด", key_en="betta"))
        db.session.commit()
    for worker in (one, other):
        assert glossary_asked(worker, "/directory/?q=ปลากัด&lang=en")
        assert "Siam Betta Export" in body(worker.test_client().get("/directory/?q=ปลากัด&sort=newest&lang=en"))
