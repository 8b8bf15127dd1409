"""portal.listing: one rule for ?page= on every list (a page number that names no page shows page 1), the other
URL arguments of a list, capped counts and the fiscal year."""
import html
import inspect
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from portal import listing
from portal.clusters.models import MembershipStatus, Position
from portal.extensions import db
from portal.firms.models import Firm, FirmSize
from tests import factories, fuzz_world

# ?page= as typed -> the page shown, on a list of a few pages (the rule in portal/listing.py's docstring).
PAGE_TRUTH_TABLE = [
    (None, 1),  # no ?page= at all
    ("", 1),
    ("1", 1),
    ("2", 2),
    ("02", 2),
    ("5000", 1),  # past the last page, though a page number
    ("0", 1),
    ("-1", 1),
    ("+2", 1),
    ("2.0", 1),
    (" 2", 1),
    ("abc", 1),
    ("๒", 1),  # a Thai digit two: int() would read it, no link writes it
    ("²", 1),  # str.isdigit() says yes, int() says no
    ("100001", 1),  # beyond MAX_PAGE
    ("9223372036854775808", 1),  # past a database BIGINT
    ("9" * 5000, 1),  # past Python's int() limit on digits
]


@pytest.mark.parametrize(("raw", "page"), PAGE_TRUTH_TABLE)
def test_page_arg_reads_a_page_number_or_gives_page_1(raw, page):
    args = MultiDict() if raw is None else MultiDict({"page": raw})
    expected = 5000 if raw == "5000" else page  # page_arg cannot know where a list ends; page_within does
    assert listing.page_arg(args) == expected


@pytest.mark.parametrize(("page", "pages", "shown"), [(1, 1, 1), (2, 2, 2), (3, 2, 1), (1, 0, 1), (2, 0, 1)])
def test_page_within_falls_back_to_page_1(page, pages, shown):
    assert listing.page_within(page, pages) == shown


@pytest.mark.parametrize(("total", "per_page", "cap", "pages"), [
    (0, 10, 1000, 1), (10, 10, 1000, 1), (11, 10, 1000, 2), (1001, 24, 1000, 42), (5000, 20, 1000, 50),
])
def test_capped_pages_stop_at_the_cap(total, per_page, cap, pages):
    assert listing.capped_pages(total, per_page, cap) == pages


def test_args_without_page_keep_the_filters_only():
    args = MultiDict([("q", "ปลากัด"), ("page", "3"), ("lang", "en"), ("cluster", ""), ("sort", "newest")])
    assert listing.args_without_page(args) == {"q": "ปลากัด", "sort": "newest"}


def test_page_url_keeps_the_filters(app):
    with app.test_request_context("/directory/?q=ปลา&page=4&lang=en&size="):
        link = listing.page_url("directory.index")(2)
    assert urlsplit(link).path == "/directory/" and parse_qs(urlsplit(link).query) == {"q": ["ปลา"], "page": ["2"]}


def test_choice_and_enum_arguments_drop_unknown_codes_with_a_message():
    problems = []
    args = MultiDict({"size": "micro", "position": "sideways", "sort": "oldest"})
    assert listing.enum_arg(args, "size", FirmSize, problems, "no size") is FirmSize.MICRO
    assert listing.enum_arg(args, "position", Position, problems, "no position") is None
    assert listing.enum_arg(args, "kind", Position, problems, "no kind") is None  # absent: no message
    assert listing.one_of(args, "sort", ("name", "newest"), "name") == "name"
    assert problems == ["no position"]
    assert listing.words_arg(MultiDict({"q": "ก" * 500})) == "ก" * listing.MAX_WORDS


def test_capped_count_stops_one_past_the_cap(ctx):
    for n in range(5):
        factories.firm(name_th=f"นับ{n}")
    db.session.flush()
    assert db.session.scalar(listing.capped_count(select(Firm.id), cap=3)) == 4
    assert db.session.scalar(listing.capped_count(select(Firm.id), cap=10)) == 5
    page = listing.capped_page(select(Firm.id), select(Firm).order_by(Firm.id), 9, per_page=2, cap=3)
    assert (page.page, page.pages, page.capped, page.shown_total, len(page.rows)) == (1, 2, True, 3, 2)


@pytest.mark.parametrize("first_part", [None, 0, 3, 100])
@pytest.mark.parametrize("firms", [0, 1, 5, 9])
def test_a_page_counted_together_with_its_rows_is_the_page_counted_apart(ctx, firms, first_part):
    """capped_page(together=True) reads the count with the page's rows (or with `first`'s, the newest part of
    the list: none of it, some, all), in one statement: whatever page is asked for (the first, the last, one
    past the last, one past the cap, a nonsense number), the page, the count and the rows are those of the
    two-statement way."""
    for n in range(firms):
        factories.firm(name_th=f"นับ{n}")
    db.session.flush()
    ids = select(Firm.id).order_by(Firm.id.desc())
    newest = list(db.session.scalars(ids.limit(first_part or 0)))
    first = None if first_part is None else (lambda _wanted: ids.where(Firm.id.in_(newest)))
    for page_asked in (1, 2, 3, 4, 99):
        apart, together = (listing.capped_page(select(Firm.id), ids, page_asked, per_page=2, cap=5, together=way,
                                               first=first, load=lambda page_ids: db.session.scalars(
                                                   select(Firm).where(Firm.id.in_(page_ids))))
                           for way in (False, True))
        assert (together.page, together.pages, together.total, [f.id for f in together.rows]) == \
               (apart.page, apart.pages, apart.total, [f.id for f in apart.rows])
        assert together.total == min(firms, 6)


def test_a_page_counted_together_takes_one_statement_fewer(app, ctx):
    for n in range(3):
        factories.firm(name_th=f"นับ{n}")
    db.session.flush()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for way in (False, True):
            listing.capped_page(select(Firm.id), select(Firm.id).order_by(Firm.id), 1, per_page=2, together=way)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 3  # two apart, one together


@pytest.mark.parametrize(("query", "year"), [("", 2569), ("year=2563", 2563), ("year=abc", 2569), ("year=0", 2569)])
def test_fiscal_year_arg_defaults_to_this_fiscal_year(app, monkeypatch, query, year):
    monkeypatch.setattr(listing, "fiscal_year", lambda _moment: 2569)
    with app.test_request_context(f"/results?{query}"):
        assert listing.fiscal_year_arg() == year


@pytest.mark.parametrize("query", ["year=1", "year=2400", "year=2700", "year=99999999999999999999"])
def test_fiscal_year_arg_refuses_years_no_figure_belongs_to(app, query):
    with app.test_request_context(f"/results?{query}"), pytest.raises(NotFound):
        listing.fiscal_year_arg()


# Every paginated list, as (endpoint, who, URL). Each holds two pages in the world below.
LISTS = [
    ("directory.index", "anonymous", "/directory/?sort=newest"),
    ("collab.board", "anonymous", "/requests/?status=all"),
    ("clusters.members", "anonymous", "/clusters/betta/members/upstream"),
    ("notifications.index", "owner", "/notifications/"),
    ("coordination.queue", "coordinator", "/clusters/betta/manage"),
    ("coordination.members", "coordinator", "/clusters/betta/manage/members"),
    ("coordination.invitations", "coordinator", "/clusters/betta/manage/invitations"),
    ("outbox.index", "staff", "/admin/outbox/"),
    ("admin.audit_log", "staff", "/admin/audit"),
    ("glossary.index", "staff", "/admin/glossary/"),
    ("events.index", "anonymous", "/events/"),
    ("events.attendees", "owner", "/events/{event}/attendees"),
    ("events.requests", "staff", "/events/{event}/requests"),
    ("followup.cluster_list", "coordinator", "/followup/clusters/betta/"),
    ("following.index", "owner", "/following/"),
    ("webhooks.endpoint", "admin", "/admin/webhooks/{webhook_endpoint}"),
]


@pytest.fixture
def two_page_lists(app, monkeypatch):
    """The fuzz world, one row a page (two in the audit log), and at least two pages in every list."""
    from portal.collab import queries as board_queries
    from portal.directory import queries as directory_queries

    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    monkeypatch.setattr(directory_queries, "PER_PAGE", 1)
    monkeypatch.setattr(board_queries, "PER_PAGE", 1)
    with app.app_context():
        world = fuzz_world.build()
        betta = factories.cluster("betta")
        for n in range(2):
            upstream = factories.firm(name_th=f"ต้นน้ำ{n}")
            factories.membership(upstream, betta, Position.UPSTREAM)
            _sent_followup(upstream)
            factories.membership(factories.firm(name_th=f"ผู้สมัคร{n}"), betta, Position.UPSTREAM,
                                 status=MembershipStatus.PENDING)
            factories.membership(factories.firm(name_th=f"ผู้ได้รับเชิญ{n}"), betta, Position.UPSTREAM,
                                 status=MembershipStatus.INVITED)
        # a second matching day, and a second meeting request on the world's
        from portal.auth.models import User
        from portal.events import services as events
        from portal.events.models import Registration
        from portal.firms.models import Firm
        from tests.events_helpers import make_event

        def person(name):
            return db.session.scalar(select(User).where(User.email == f"{name}@fuzz.example"))

        make_event(person("staff"), [betta.id])
        member = db.session.get(Registration, world.ids["event_registration"])
        responder = db.session.scalar(select(Registration).join(Firm).where(
            Registration.event_id == world.ids["event"], Firm.name_th == "ฟาร์มผู้ตอบ"))
        events.request_meeting(person("member"), member, responder, "อยากคุยเรื่องส่งออก")
        # the owner follows a firm (the fuzz world's) and the cluster: two rows on the following page
        from portal.following.models import Follow

        db.session.add(Follow(user_id=person("owner").id, cluster_id=betta.id))
        db.session.commit()
    return world


def _sent_followup(firm):
    from datetime import timedelta

    from portal.db import utcnow
    from portal.followup import services as followups
    from portal.followup.models import Source

    now = utcnow()
    db.session.add(followups._new(source=Source.MEETING, firm_id=firm.id, due_at=now, sent_at=now,
                                  expires_at=now + timedelta(days=60)))


def shown_page(body: str) -> int:
    """The page a list shows, as its links tell: the page its "Previous" link leads to, plus one."""
    previous = re.search(r'<a href="([^"]*)" rel="prev"', body)
    if previous is None:
        return 1
    return int(parse_qs(urlsplit(html.unescape(previous.group(1))).query)["page"][0]) + 1


def test_every_paginated_list_is_in_the_truth_table(app):
    """A new list that reads ?page= joins LISTS, so the rule below is checked on it too."""
    reads = re.compile(r"\b(paginate|uncounted_page|search|board|members_page|page_arg)\(")
    reads_page = {endpoint for endpoint, view in app.view_functions.items() if reads.search(inspect.getsource(view))}
    assert reads_page == {endpoint for endpoint, _who, _url in LISTS}


@pytest.mark.parametrize(("endpoint", "who", "url"), LISTS, ids=[e for e, _w, _u in LISTS])
def test_every_list_applies_the_page_rule(app, two_page_lists, endpoint, who, url):
    client = app.test_client()
    if who != "anonymous":
        with client.session_transaction() as session:
            session["_user_id"] = two_page_lists.user_id(who)
    url = url.format(**two_page_lists.ids)
    sep = "&" if "?" in url else "?"
    first = client.get(url)
    assert first.status_code == 200 and 'rel="next"' in first.get_data(as_text=True), "the list has one page only"
    for raw, page in PAGE_TRUTH_TABLE:
        asked = url if raw is None else f"{url}{sep}page={raw}"
        response = client.get(asked)
        assert response.status_code == 200, asked
        assert shown_page(response.get_data(as_text=True)) == page, asked


@pytest.mark.parametrize("picked", [[], [0], [1, 2], [2, 0, 1], [None]])
def test_a_kept_among_finds_what_among_finds_and_is_built_once(app, picked):
    """portal.db.among_kept (the ids a parameter of a statement built once, kept_statement) selects the same rows as
    among() (the ids in a statement built each time), on either database; the kept statement is built once."""
    from portal.db import among, among_ids, among_kept, kept_statement

    with app.app_context():
        firms = [factories.firm(name_th=f"ร้าน{n}") for n in range(4)]
        db.session.commit()
        ids = [firms[n].id if n is not None else max(f.id for f in firms) + 1000 for n in picked]
        made = []

        def build(dialect):
            made.append(dialect)
            return select(Firm.id).where(among_kept(Firm.id, dialect)).order_by(Firm.id)

        dialect = db.session.get_bind().dialect.name
        built = select(Firm.id).where(among(Firm.id, ids)).order_by(Firm.id)
        for _ in range(2):
            kept = kept_statement(("test_among", dialect, tuple(picked)), lambda: build(dialect))
            assert db.session.scalars(kept, {"id_among": among_ids(ids, dialect)}).all() == \
                db.session.scalars(built).all() == sorted(firms[n].id for n in set(picked) if n is not None)
        assert made == [dialect]
