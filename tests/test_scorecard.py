"""Scorecards and funnels from hand-built data with known answers (tests/scorecard_world.py): fiscal-year
boundaries in Bangkok time, a firm in two clusters counted once in programme figures, the median and the
sort whitelist."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import product

import pytest
from sqlalchemy import select

from portal.clusters.models import Position
from portal.events.models import Meeting, MeetingState
from portal.extensions import db
from portal.scorecard import queries, table
from portal.thai import BANGKOK
from tests import factories, scorecard_world
from tests.scorecard_world import YEAR, _event, _meeting, _registrations

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


@pytest.fixture
def world(app):
    with app.app_context():
        return scorecard_world.build()


def test_year_days_and_active_days():
    assert queries.year_days(2564) == (date(2020, 10, 1), date(2021, 9, 30))
    # an ended year: its last 90 Bangkok dates
    assert queries.active_days(2564, NOW) == (date(2021, 7, 3), date(2021, 9, 30))
    # the year under way: the 90 Bangkok dates up to today (30 Nov 2026 07:00 in Bangkok)
    assert queries.active_days(2570, NOW) == (date(2026, 9, 2), date(2026, 11, 30))
    assert queries.active_days(2570, datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc))[1] == date(2026, 12, 1)


def test_programme_funnel(app, world):
    with app.test_request_context("/"):
        funnel = queries.programme_funnel(YEAR)
    assert (funnel.requests_posted, funnel.requests_answered, funnel.requests_partnered) == (5, 3, 3)
    assert funnel.value_confirmed == Decimal("130000")  # the 50,000 not confirmed is left out
    assert (funnel.meetings_requested, funnel.meetings_held, funnel.meetings_no_show) == (4, 2, 1)
    assert (funnel.meetings_continued, funnel.agreements) == (1, 1)
    assert funnel.no_show_rate == Decimal(1) / Decimal(3)
    assert funnel.agreement_rate == Decimal("0.5")


def test_the_table_counts_the_programme_funnel_with_the_scorecards(app, world):
    """scorecard_table reads the year's meetings once for the clusters and the programme: same figures."""
    with app.test_request_context("/"):
        cards, funnel = queries.scorecard_table(YEAR, now=NOW)
        alone, funnel_alone = queries.scorecards(YEAR, now=NOW), queries.programme_funnel(YEAR)
    assert funnel == funnel_alone
    assert {cluster_id: card.funnel for cluster_id, card in cards.items()} == {
        cluster_id: card.funnel for cluster_id, card in alone.items()}


def test_the_funnel_uses_the_dashboards_figures(app, world):
    from portal.admin import dashboard

    with app.test_request_context("/"):
        funnel, figures = queries.programme_funnel(YEAR), dashboard.figures(YEAR, None, breakdowns=False)
        by_cluster = queries.cluster_funnels(YEAR)
        betta_figures = dashboard.figures(YEAR, [world["betta"]], breakdowns=False)
    assert (funnel.requests_posted, funnel.requests_answered, funnel.requests_partnered, funnel.value_confirmed) == (
        figures.requests_posted, figures.requests_answered, figures.requests_partnered, figures.value_confirmed)
    betta = by_cluster[world["betta"]]
    assert (betta.requests_posted, betta.requests_answered, betta.requests_partnered, betta.value_confirmed) == (
        betta_figures.requests_posted, betta_figures.requests_answered, betta_figures.requests_partnered,
        betta_figures.value_confirmed)


def test_cluster_funnels(app, world):
    with app.test_request_context("/"):
        funnels = queries.cluster_funnels(YEAR)
    betta, cosplay = funnels[world["betta"]], funnels[world["cosplay"]]
    assert (betta.requests_posted, betta.requests_answered, betta.requests_partnered) == (3, 2, 2)
    assert betta.value_confirmed == Decimal("100000")
    # every meeting has a betta member in it; m4 (D→A) counts for betta through A
    assert (betta.meetings_requested, betta.meetings_held, betta.meetings_no_show) == (4, 2, 1)
    assert (betta.meetings_continued, betta.agreements) == (1, 1)
    assert (cosplay.requests_posted, cosplay.requests_answered, cosplay.requests_partnered) == (1, 1, 1)
    assert cosplay.value_confirmed == Decimal("30000")
    # A (in both clusters) brings m1, m3 and m4; D brings m4 again, counted once; m2 (B, C) is not cosplay's
    assert (cosplay.meetings_requested, cosplay.meetings_held, cosplay.meetings_no_show) == (3, 1, 1)
    assert (cosplay.meetings_continued, cosplay.agreements) == (1, 1)


def test_next_year_starts_at_bangkok_midnight(app, world):
    """ev2 on 1 Oct 2021 and E's membership approved at 00:00 on 1 Oct belong to 2565."""
    with app.test_request_context("/"):
        funnel = queries.programme_funnel(YEAR + 1)
        cards = queries.scorecards(YEAR + 1, now=NOW)
    assert (funnel.meetings_requested, funnel.meetings_held, funnel.meetings_continued) == (1, 1, 1)
    assert funnel.agreements == 0  # r1 was reported before that meeting
    assert funnel.requests_posted == 0
    assert cards[world["betta"]].members == 4


@pytest.mark.parametrize(("reported_by", "after_the_meeting", "agreements"),
                         [("A", True, 1), ("B", True, 1), ("B", False, 0)])
def test_an_agreement_is_reported_by_either_firm_of_the_meeting_after_it(app, world, reported_by, after_the_meeting,
                                                                        agreements):
    """m1 A→B: the outcome between A and B counts whichever of the two reported it (the sender, or the
    receiver naming the sender as partner), when it came after the meeting's slot."""
    from datetime import timedelta

    from sqlalchemy import select

    from portal.collab.models import Outcome
    from portal.extensions import db

    firms = world["firms"]
    with app.test_request_context("/"):
        outcome = db.session.scalar(select(Outcome).where(Outcome.firm_id == firms["A"],
                                                          Outcome.partner_firm_id == firms["B"]))
        if reported_by == "B":
            outcome.firm_id, outcome.partner_firm_id = firms["B"], firms["A"]
        if not after_the_meeting:
            outcome.created_at = scorecard_world.FIRST_MINUTE - timedelta(days=30)
        db.session.commit()
        assert queries.programme_funnel(YEAR).agreements == agreements
        assert queries.scorecards(YEAR, now=NOW)[world["betta"]].funnel.agreements == agreements


def test_scorecards(app, world):
    with app.test_request_context("/"):
        cards = queries.scorecards(YEAR, now=NOW)
    betta, cosplay = cards[world["betta"]], cards[world["cosplay"]]
    assert (betta.members, betta.members_before, betta.growth) == (3, 1, Decimal(2))
    assert betta.by_position == {Position.UPSTREAM: 2, Position.MIDSTREAM: 0, Position.DOWNSTREAM: 1}
    assert betta.positions_missing == [Position.MIDSTREAM]
    # A and B met on 30 Sep, C posted at 23:59 on 30 Sep: all three active
    assert (betta.active, betta.active_share) == (3, Decimal(1))
    assert (betta.partner_pairs, betta.possible_pairs) == (2, 3)  # A–B, B–C
    assert betta.density == Decimal(2) / Decimal(3)
    assert (cosplay.members, cosplay.members_before, cosplay.growth) == (2, 0, None)
    assert cosplay.positions_missing == [Position.UPSTREAM]
    # A met B; D's only response came at 00:00 on 1 Oct, after the year
    assert (cosplay.active, cosplay.active_share) == (1, Decimal("0.5"))
    assert (cosplay.partner_pairs, cosplay.density) == (1, Decimal(1))  # A–D
    assert (cosplay.funnel.meetings_held, cosplay.funnel.agreements) == (1, 1)
    # a cluster with nobody: no division by zero, figures that cannot be computed are None
    empty = next(card for cluster_id, card in cards.items() if cluster_id not in (world["betta"], world["cosplay"]))
    assert (empty.members, empty.active_share, empty.density, empty.growth) == (0, None, None, None)


@pytest.mark.parametrize("cluster", ["betta", "cosplay"])
def test_one_cluster_alone_gives_the_same_card(app, world, cluster):
    """One cluster's parts read its spans from the cluster index; every cluster's (PostgreSQL) look each
    firm's spans up: the same card."""
    with app.test_request_context("/"):
        alone = queries.scorecards(YEAR, [world[cluster]], now=NOW)
        every = queries.scorecards(YEAR, now=NOW)
    assert list(alone) == [world[cluster]]
    assert alone[world[cluster]] == every[world[cluster]]


def _card(cluster_id, members, active=0, value=0):
    card = queries.Scorecard(cluster_id, YEAR, members=members, active=active)
    card.funnel.value_confirmed = Decimal(value)
    return card


def test_median_per_column():
    cards = [_card(1, 1, 1, 10), _card(2, 5, 0, 30), _card(3, 3, 3, 20)]
    median = table.medians(cards)
    assert (median["members"], median["value"], median["active"]) == (3, Decimal(20), Decimal(1))
    cards.append(_card(4, 4, 0, 0))
    assert table.medians(cards)["members"] == 3.5
    # a cluster without members has no active share: it is left out of that median, not counted as 0
    assert table.medians([_card(1, 0), _card(2, 2, 1), _card(3, 4, 4)])["active"] == Decimal("0.75")
    assert table.medians([])["members"] is None


@pytest.mark.parametrize(("asked", "used", "refused"), [
    (None, "cluster", False), ("", "cluster", False), ("members", "members", False),
    ("-value", "-value", False), ("-cluster", "-cluster", False), ("upstream", "upstream", False),
    ("name", "cluster", True), ("members;drop", "cluster", True), ("--members", "cluster", True),
    ("Members", "cluster", True), ("__class__", "cluster", True),
])
def test_sort_whitelist(asked, used, refused):
    assert table.sort_key_or_default(asked) == (used, refused)


def test_sorted_rows():
    cards = [_card(1, 5, 0), _card(2, 2, 1), _card(3, 0)]
    names = {1: "ข", 2: "ก", 3: "ค"}
    assert [c.cluster_id for c in table.sorted_rows(cards, names, "cluster")] == [2, 1, 3]
    assert [c.cluster_id for c in table.sorted_rows(cards, names, "-cluster")] == [3, 1, 2]
    assert [c.cluster_id for c in table.sorted_rows(cards, names, "-members")] == [1, 2, 3]
    assert [c.cluster_id for c in table.sorted_rows(cards, names, "members")] == [3, 2, 1]
    # no members: no active share, last whichever the direction
    assert [c.cluster_id for c in table.sorted_rows(cards, names, "-active")] == [2, 1, 3]
    assert [c.cluster_id for c in table.sorted_rows(cards, names, "active")] == [1, 2, 3]


def test_a_fixed_handful_of_queries_whatever_the_number_of_clusters(app, world):
    """Grouped by cluster in SQL: the table of every cluster costs the same statements as one cluster."""
    from sqlalchemy import event

    from portal.extensions import db

    statements = []

    def count(*_args):
        statements.append(1)

    with app.test_request_context("/"):
        from portal import reference

        reference.clusters()  # cached reference data, not the scorecard's cost
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            queries.scorecards(YEAR, now=NOW)
            every = len(statements)
            statements.clear()
            queries.scorecards(YEAR, [world["betta"]], now=NOW)
            one = len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert every == one <= 6


def test_follow_up_answer_rate_counts_questions_sent_in_the_year_to_its_year_end_members(app, world):
    """Sent in fiscal year 2564 (Bangkok dates) to the members at its end; answered whenever."""
    from portal.extensions import db
    from portal.followup import services as followups
    from portal.followup.models import Source
    from portal.thai import BANGKOK

    def sent(firm, at, answered=False):
        db.session.add(followups._new(source=Source.MEETING, firm_id=world["firms"][firm], due_at=at, sent_at=at,
                                      answered_at=at if answered else None))

    with app.test_request_context("/"):
        sent("A", datetime(2021, 9, 30, 23, 59, tzinfo=BANGKOK), answered=True)  # betta and cosplay
        sent("B", datetime(2020, 10, 1, 0, 0, tzinfo=BANGKOK))  # the year's first minute, unanswered
        sent("C", datetime(2021, 10, 1, 0, 0, tzinfo=BANGKOK), answered=True)  # the next year
        sent("C", datetime(2020, 9, 30, 23, 59, tzinfo=BANGKOK), answered=True)  # the year before
        sent("E", datetime(2021, 6, 1, tzinfo=BANGKOK), answered=True)  # E joined betta in 2565
        sent("D", datetime(2021, 6, 1, tzinfo=BANGKOK))
        db.session.commit()
        cards = queries.scorecards(YEAR, now=NOW)
        alone = queries.scorecards(YEAR, [world["betta"], world["cosplay"]], now=NOW)  # the clusters' own spans
    betta, cosplay = cards[world["betta"]], cards[world["cosplay"]]
    assert (betta.followups_answered, betta.followups_sent, betta.followup_answer_rate) == (1, 2, Decimal("0.5"))
    assert (cosplay.followups_answered, cosplay.followups_sent) == (1, 2)
    assert [(card.followups_answered, card.followups_sent) for card in alone.values()] == [(1, 2), (1, 2)]
    empty = next(card for cluster_id, card in cards.items() if cluster_id not in (world["betta"], world["cosplay"]))
    assert empty.followup_answer_rate is None


@pytest.mark.parametrize("today", [date(2026, 3, 10), date(2026, 4, 8), date(2026, 6, 7), date(2026, 6, 8),
                                   date(2026, 7, 1)])
def test_a_meeting_held_makes_both_firms_active_from_its_slot_start_or_else_its_marking(app, today):
    """A held meeting's day is its slot's start, or when it was marked if it has no slot (Bangkok dates); its
    two firms are active from that day and the 89 after it. No-shows and meetings not yet marked count for
    nobody. Every firm is a member of one cluster; today moves through the year under way (2569)."""
    day = date(2026, 3, 10)
    with app.app_context():
        cluster = factories.cluster("betta")
        event, slots = _event(day, "วันจับคู่ทดสอบ")
        firms = {str(n): factories.firm(name_th=f"กิจการ {n}") for n in range(12)}
        for firm in firms.values():
            scorecard_world._member(firm, cluster, datetime(2025, 1, 1, tzinfo=timezone.utc), Position.UPSTREAM)
        registrations = _registrations(event, firms)
        nine = slots[0].starts_at
        marks = [None, nine - timedelta(days=30), nine + timedelta(minutes=20), nine + timedelta(days=5)]
        states = [MeetingState.HELD, MeetingState.NO_SHOW, MeetingState.SCHEDULED]
        active = set()
        for n, (slot, state, marked) in enumerate(product([None, slots[0], slots[2]], states, marks)):
            sender, receiver = str(n % 12), str((n + 1 + n // 12) % 12)
            _meeting(event, registrations, sender, receiver, slots[0], state)
            meeting = db.session.scalars(select(Meeting).order_by(Meeting.id.desc()).limit(1)).one()
            meeting.slot_id, meeting.marked_at = (slot.id if slot else None), marked
            when = slot.starts_at if slot else marked
            if state is MeetingState.HELD and when is not None:
                held_on = when.astimezone(BANGKOK).date()
                if held_on <= today <= held_on + timedelta(days=89):
                    active |= {sender, receiver}
        db.session.commit()
        now = datetime.combine(today, datetime.min.time(), BANGKOK) + timedelta(hours=12)
        card = queries.scorecards(2569, [cluster.id], now=now)[cluster.id]
        assert card.active == len(active)
        if today in (date(2026, 3, 10), date(2026, 6, 7)):
            assert 0 < card.active < 12  # the days do tell meetings apart


def test_a_years_outcomes_by_cluster_are_read_from_the_year_index_alone(app, world):
    """The request funnels add up the year's outcomes by cluster from ix_collab_outcomes_fiscal_year alone, in
    its cluster order (SQLite's plan). With the year alone in that index, SQLite walked the cluster index and
    tested every outcome's year: 156 ms at 1,000,000 firms."""
    from sqlalchemy import event

    with app.test_request_context("/"):
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's plan (PostgreSQL reads a handful of test rows from the table)")
        statements = []

        def seen(_conn, _cursor, statement, parameters, _context, _executemany):
            if "collab_outcomes" in statement:
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            queries._request_funnels(YEAR, None, open_to_all=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        [(statement, parameters)] = statements
        plan = " ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
    assert "COVERING INDEX ix_collab_outcomes_fiscal_year (fiscal_year=?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # grouped in the index's cluster order
