"""The cluster network map: hand-built data with known answers (lanes, a firm at two positions placed once,
link weights, a held meeting, a link to another cluster, isolated firms, positions with no links between
them, the fiscal-year control), who may see it, the SVG parsed as XML, and the page in Thai.

The world, fiscal year 2564 (1 Oct 2020 – 30 Sep 2021, Bangkok), cluster betta unless said:
    A  upstream and downstream, approved 2563      B  midstream, 2564      C  downstream, 2564
    D  upstream, 2564 (isolated: its only meeting was a no-show)            F  upstream, approved 2565
    E  a member of cosplay only (midstream, 2564)
Partnerships: A→B 100,000 confirmed (2564); B→A 50,000 confirmed (2564); C→E 30,000 not confirmed (2564);
    A→C 1,000,000 confirmed, reported 1 Oct 2021 (2565).
Matching day 30 Sep 2021: B→C held; A→D no-show.
"""
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.auth.models import Role, User
from portal.clusters.models import Position
from portal.events.models import Event, Meeting, MeetingRequest, MeetingState
from portal.extensions import db
from portal.firms.models import Firm
from portal.scorecard import network as networks
from portal.thai import fiscal_year
from tests import factories
from tests.helpers import body, signed_in
from tests.scorecard_world import _event, _meeting, _registrations, _request

YEAR = 2564
APPROVED_2563 = datetime(2020, 9, 30, 16, 59, tzinfo=timezone.utc)  # 23:59 on 30 Sep 2020 in Bangkok
APPROVED_2564 = datetime(2020, 9, 30, 17, 0, tzinfo=timezone.utc)
APPROVED_2565 = datetime(2021, 9, 30, 17, 0, tzinfo=timezone.utc)  # 00:00 on 1 Oct 2021 in Bangkok
SVG = "{http://www.w3.org/2000/svg}"


def _member(firm, cluster, when, *positions):
    membership = factories.membership(firm, cluster, *positions)
    membership.decided_at, membership.fiscal_year = when, fiscal_year(when)


@pytest.fixture
def world(app):
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        firms = {n: factories.firm(name_th=f"กิจการ {n}", name_en=f"Firm {n}") for n in "ABCDEF"}
        a, b, c, d, e, f = (firms[n] for n in "ABCDEF")
        _member(a, betta, APPROVED_2563, Position.UPSTREAM, Position.DOWNSTREAM)
        _member(b, betta, APPROVED_2564, Position.MIDSTREAM)
        _member(c, betta, APPROVED_2564, Position.DOWNSTREAM)
        _member(d, betta, APPROVED_2564, Position.UPSTREAM)
        _member(e, cosplay, APPROVED_2564, Position.MIDSTREAM)
        _member(f, betta, APPROVED_2565, Position.UPSTREAM)
        _request(a, betta, 2564, partner=b, value="100000", confirmed=True)
        _request(b, betta, 2564, partner=a, value="50000", confirmed=True)
        _request(c, betta, 2564, partner=e, value="30000")
        _request(a, betta, 2565, partner=c, value="1000000", confirmed=True)  # reported after 30 Sep 2021
        day, slots = _event(date(2021, 9, 30), "วันจับคู่")
        regs = _registrations(day, {n: firms[n] for n in "ABCD"})
        _meeting(day, regs, "B", "C", slots[0], MeetingState.HELD)
        _meeting(day, regs, "A", "D", slots[1], MeetingState.NO_SHOW)
        staff = factories.user(email="staff@example.com", role=Role.STAFF, locale="en")
        coordinator = factories.user(email="coord@example.com", locale="th")
        factories.term(coordinator, betta)
        other = factories.user(email="other@example.com", locale="en")
        factories.term(other, cosplay)
        owner = factories.user(email="owner@example.com", locale="en")
        factories.team_member(a, owner, "owner")
        db.session.commit()
        return {"betta": betta.id, "staff": staff.id, "coordinator": coordinator.id, "other": other.id,
                "owner": owner.id, "firms": {n: firm.id for n, firm in firms.items()}}


@pytest.fixture(params=["found in SQL", "from the kept figures", "from the kept figures, the members at once"])
def either_way(request, monkeypatch):
    """The map found every way: a cluster's links found by its members in SQL, and (as for a cluster of
    more than KEPT_FROM members) its totals from the rollup's kept figures, its best-linked members from the
    firms ordered by their kept links (or, past READ_IN_ORDER firms read so, its members with links at once), and
    the links of those alone."""
    if request.param != "found in SQL":
        monkeypatch.setattr(networks, "KEPT_FROM", 0)
    if request.param.endswith("at once"):
        monkeypatch.setattr(networks, "READ_IN_ORDER", 0)
    return request.param


def _map(world, year=YEAR, locale="en"):
    return networks.network(world["betta"], year, locale)


def _link(net, world, first, second, kind):
    ids = {world["firms"][first], world["firms"][second]}
    found = [link for link in net.links if {link.a, link.b} == ids and link.kind == kind]
    return found[0] if found else None


@pytest.mark.usefixtures("either_way")
def test_members_in_lanes_a_firm_at_two_positions_placed_once(app, world):
    with app.app_context():
        net = _map(world)
    lanes = {lane.position: [node.name for node in lane.nodes] for lane in net.lanes}
    assert lanes == {Position.UPSTREAM: ["Firm A", "Firm D"], Position.MIDSTREAM: ["Firm B"],
                     Position.DOWNSTREAM: ["Firm C"]}
    assert net.members == 4 and len(net.drawn) == 4 and net.not_drawn == 0
    assert [node.name for node in net.several_positions] == ["Firm A"]
    assert net.nodes[world["firms"]["A"]].positions == [Position.UPSTREAM, Position.DOWNSTREAM]


@pytest.mark.usefixtures("either_way")
def test_links_weights_meetings_and_the_other_clusters_box(app, world):
    with app.app_context():
        net = _map(world)
    ab = _link(net, world, "A", "B", networks.PARTNERSHIP)
    assert (ab.count, ab.value, ab.years, ab.outside) == (2, Decimal("150000"), "2564", False)
    bc = _link(net, world, "B", "C", networks.MEETING)
    assert (bc.count, bc.years, bc.stroke) == (1, "2564", 1.5)
    ce = _link(net, world, "C", "E", networks.PARTNERSHIP)
    assert ce.outside and ce.a == world["firms"]["C"] and ce.value == 0  # not confirmed: no value
    assert _link(net, world, "A", "D", networks.MEETING) is None  # a no-show is no link
    assert _link(net, world, "A", "C", networks.PARTNERSHIP) is None  # reported in 2565
    assert len(net.links) == net.links_total == 3
    assert (net.outside_links_total, net.outside_firms) == (1, 1)
    assert net.outside_names == {world["firms"]["E"]: "Firm E"}
    assert ce.stroke == 2.0 < ab.stroke < 8  # thicker for more value, capped
    [outside] = net.outside  # C's links outside the cluster: one line to the box, one row
    assert outside.node.name == "Firm C" and outside.names == ["Firm E"]
    assert (outside.partnerships, outside.meetings, outside.value, outside.years, outside.stroke) == (
        1, 0, Decimal(0), "2564", 1.5)


@pytest.mark.usefixtures("either_way")
def test_a_meeting_marked_held_later_or_moved_to_another_day_is_drawn_by_its_day_at_once(app, world):
    """The map reads the held meetings the scorecard counts (the rollup's kept meeting keys): a no-show put
    right afterwards is a link at once, and a matching day moved into the next fiscal year takes its meetings
    out of the year's map and into the next one's."""
    firms = world["firms"]
    with app.app_context():
        no_show = db.session.scalar(select(Meeting).join(MeetingRequest, MeetingRequest.id == Meeting.request_id)
                                    .where(MeetingRequest.from_firm_id == firms["A"],
                                           MeetingRequest.to_firm_id == firms["D"]))
        no_show.state = MeetingState.HELD
        db.session.commit()
        net = _map(world)
        ad = _link(net, world, "A", "D", networks.MEETING)
        assert (ad.count, ad.years, ad.outside) == (1, "2564", False)
        assert net.isolated_total == 0 and net.links_total == 4
        day = db.session.get(Event, no_show.event_id)
        day.starts_on = date(2021, 10, 1)  # fiscal 2565
        db.session.commit()
        net = _map(world)
        assert _link(net, world, "A", "D", networks.MEETING) is None
        assert _link(net, world, "B", "C", networks.MEETING) is None
        assert net.links_total == 2  # A–B, and C's partnership with E outside
        later = _map(world, 2565)
        assert _link(later, world, "A", "D", networks.MEETING).years == "2565"
        assert _link(later, world, "B", "C", networks.MEETING).years == "2565"


@pytest.mark.usefixtures("either_way")
def test_a_members_links_outside_are_one_line_until_the_partner_joins(app, world):
    """F joins in 2565: its partnership with C, reported in 2564, is outside at the end of 2564 (one line
    for C's two firms outside, wider) and between members at the end of 2565."""
    with app.app_context():
        from portal.clusters.models import Cluster
        from portal.firms.models import Firm

        c, f = (db.session.get(Firm, world["firms"][n]) for n in "CF")
        _request(c, db.session.get(Cluster, world["betta"]), 2564, partner=f, value="20000", confirmed=True)
        db.session.commit()
        at_2564, at_2565 = _map(world), _map(world, 2565)
    [outside] = at_2564.outside
    assert outside.names == ["Firm E", "Firm F"] and (outside.partnerships, outside.value) == (2, Decimal("20000"))
    assert outside.stroke == 2.5 > 1.5 and at_2564.outside_links_total == 2
    assert [group.names for group in at_2565.outside] == [["Firm E"]]
    assert _link(at_2565, world, "C", "F", networks.PARTNERSHIP).outside is False


@pytest.mark.usefixtures("either_way")
def test_a_pairs_rows_over_several_years_and_both_directions_make_one_link(app, world):
    """A–B: A→B and B→A in 2564, B→A again in 2565 (not confirmed); B–C: met on 30 Sep 2021 (2564) and C
    asked B on 1 Oct 2021 (2565). At the end of 2565 each pair is one link with its rows added up, and its
    years run from the first to the last; at the end of 2564 the 2565 rows do not count."""
    with app.app_context():
        from portal.clusters.models import Cluster

        betta = db.session.get(Cluster, world["betta"])
        a, b, c = (db.session.get(Firm, world["firms"][n]) for n in "ABC")
        _request(b, betta, 2565, partner=a, value="7000")
        day, slots = _event(date(2021, 10, 1), "วันจับคู่ 2565")
        registrations = _registrations(day, {"B": b, "C": c})
        _meeting(day, registrations, "C", "B", slots[0], MeetingState.HELD)
        db.session.commit()
        at_2564, at_2565 = _map(world), _map(world, 2565)
    ab, bc = _link(at_2565, world, "A", "B", networks.PARTNERSHIP), _link(at_2565, world, "B", "C", networks.MEETING)
    assert (ab.count, ab.value, ab.years) == (3, Decimal("150000"), "2564–2565")  # the 7,000 is not confirmed
    assert (bc.count, bc.years) == (2, "2564–2565")
    assert len([link for link in at_2565.links if {link.a, link.b} == {ab.a, ab.b}]) == 1
    ab, bc = _link(at_2564, world, "A", "B", networks.PARTNERSHIP), _link(at_2564, world, "B", "C", networks.MEETING)
    assert (ab.count, ab.years, bc.count, bc.years) == (2, "2564", 1, "2564")


@pytest.mark.usefixtures("either_way")
def test_a_links_first_year_is_its_earliest_row_whatever_order_the_rows_were_written_in(app, world):
    """An A–B partnership reported in 2563 and a B–C meeting on a 2563 matching day, both written after
    the world's 2564 rows: each link's years start in 2563."""
    with app.app_context():
        from portal.clusters.models import Cluster

        betta = db.session.get(Cluster, world["betta"])
        a, b, c = (db.session.get(Firm, world["firms"][n]) for n in "ABC")
        _request(a, betta, 2563, partner=b, value="5000", confirmed=True)
        day, slots = _event(date(2020, 9, 1), "วันจับคู่ 2563")
        registrations = _registrations(day, {"B": b, "C": c})
        _meeting(day, registrations, "B", "C", slots[0], MeetingState.HELD)
        db.session.commit()
        net = _map(world)
    ab, bc = _link(net, world, "A", "B", networks.PARTNERSHIP), _link(net, world, "B", "C", networks.MEETING)
    assert (ab.count, ab.value, ab.years) == (3, Decimal("155000"), "2563–2564")
    assert (bc.count, bc.years) == (2, "2563–2564")


@pytest.mark.usefixtures("either_way")
def test_links_between_two_firms_of_other_clusters_are_not_on_the_map(app, world):
    """G and H, members of cosplay only, partnered and met in 2564: betta's map is what it was, and
    cosplay's map shows them."""
    with app.app_context():
        from portal.clusters.models import Cluster

        cosplay = db.session.scalar(select(Cluster).where(Cluster.slug == "cosplay"))
        g, h = factories.firm(name_en="Firm G"), factories.firm(name_en="Firm H")
        _member(g, cosplay, APPROVED_2564, Position.UPSTREAM)
        _member(h, cosplay, APPROVED_2564, Position.DOWNSTREAM)
        _request(g, cosplay, 2564, partner=h, value="40000", confirmed=True)
        day, slots = _event(date(2021, 9, 29), "วันจับคู่ cosplay")
        registrations = _registrations(day, {"G": g, "H": h})
        _meeting(day, registrations, "H", "G", slots[0], MeetingState.HELD)
        db.session.commit()
        betta, other = _map(world), networks.network(cosplay.id, YEAR, "en")
    firms = set(world["firms"].values())
    assert all(link.a in firms and link.b in firms for link in betta.links)
    assert (betta.links_total, betta.outside_links_total, betta.members) == (3, 1, 4)
    assert sorted((link.kind, link.count) for link in other.links if not link.outside) == [
        (networks.MEETING, 1), (networks.PARTNERSHIP, 1)]
    assert {node.name for node in other.drawn} == {"Firm E", "Firm G", "Firm H"}


@pytest.mark.usefixtures("either_way")
def test_isolated_members_and_positions_with_no_links(app, world):
    with app.app_context():
        net = _map(world)
    assert [node.name for node in net.isolated] == ["Firm D"] and net.isolated_total == 1
    assert net.missing_pairs == [(Position.UPSTREAM, Position.DOWNSTREAM)]  # A is drawn upstream


@pytest.mark.usefixtures("either_way")
def test_the_year_control_shows_the_network_at_each_year_end(app, world):
    with app.app_context():
        before, after = _map(world, 2563), _map(world, 2565)
    assert [node.name for node in before.drawn] == ["Firm A"] and before.links == []
    assert [node.name for node in before.isolated] == ["Firm A"] and len(before.missing_pairs) == 3
    ac = _link(after, world, "A", "C", networks.PARTNERSHIP)
    assert ac is not None and ac.value == Decimal("1000000") and ac.years == "2565"
    assert ac.stroke > _link(after, world, "A", "B", networks.PARTNERSHIP).stroke
    assert after.missing_pairs == [] and [node.name for node in after.isolated] == ["Firm D", "Firm F"]


@pytest.mark.usefixtures("either_way")
def test_large_clusters_draw_the_firms_with_the_most_links(app, world, monkeypatch):
    monkeypatch.setattr(networks, "MAX_NODES", 2)
    with app.app_context():
        net = _map(world)
    assert sorted(node.name for node in net.drawn) == ["Firm B", "Firm C"]  # 2 links each; A has 1
    assert net.not_drawn == 2 and net.members == 4
    assert {link.kind for link in net.links} == {networks.MEETING, networks.PARTNERSHIP}  # B–C, C–E


@pytest.mark.usefixtures("either_way")
@pytest.mark.parametrize(("locale", "isolated_drawn"), [("en", "Aardvark Farm"), ("th", "กิจการ D")])
def test_few_links_in_a_large_cluster_draw_every_linked_member_and_the_first_isolated_by_name(
        app, world, monkeypatch, locale, isolated_drawn):
    """2565: A, B and C linked, D and F isolated. With room for four, the fourth is the isolated member
    first by name in the language shown: F (renamed "Aardvark Farm") in English, D in Thai."""
    monkeypatch.setattr(networks, "MAX_NODES", 4)
    named, names_of = [], networks._names
    monkeypatch.setattr(networks, "_names", lambda firm_ids, locale: named.append(set(firm_ids)) or names_of(
        firm_ids, locale))
    with app.app_context():
        firm = db.session.get(Firm, world["firms"]["F"])
        firm.name_en = "Aardvark Farm"
        db.session.commit()
        net = _map(world, 2565, locale)
    names = {node.name for node in net.drawn}
    linked = {"Firm A", "Firm B", "Firm C"} if locale == "en" else {"กิจการ A", "กิจการ B", "กิจการ C"}
    assert names == linked | {isolated_drawn}
    assert [node.name for node in net.isolated] == [isolated_drawn]
    assert (net.not_drawn, net.members, net.isolated_total) == (1, 5, 2)
    assert named == [{node.firm_id for node in net.drawn} | {world["firms"]["E"]}]  # not every member's name


def _statements(app, draw) -> int:
    statements = []
    with app.app_context():
        engine = db.engine
        count = lambda *args: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", count)
        try:
            draw()
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_a_fixed_number_of_statements(app, world, either_way):
    """Found in SQL: the kept figures, the members, the partnerships, the held meetings and the names, a
    statement each, whatever the size. From the kept figures: the figures, the best-linked members (one page:
    fewer than room for), the first isolated members by name, the partnerships and meetings of those, which of
    the firms they are linked with are members, and the names."""
    assert _statements(app, lambda: _map(world)) == (5 if either_way == "found in SQL" else 7)


def test_a_large_clusters_best_linked_members_are_found_past_the_first_page_of_ties(app, monkeypatch):
    """Twelve members of betta, "Member 01" to "Member 12" in id order, each with partnerships with two firms
    outside (2564); Member 12 with a third, Member 05 with two more in 2566. With room for two, the kept figures
    read the firms by their links of every year, four at first (Member 05, 12, 11, 10): at the end of 2564
    Member 12 has the most, and Member 01, first by name among those with two, is read in a second statement,
    with every firm with two links, and chosen among them by name in a third. At the end of 2566 Member 05 has
    the most."""
    monkeypatch.setattr(networks, "MAX_NODES", 2)
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        members = [factories.firm(name_en=f"Member {n:02}") for n in range(1, 13)]
        outside = [factories.firm(name_en=f"Outside {n}") for n in range(1, 6)]
        for firm in members:
            _member(firm, betta, APPROVED_2563, Position.UPSTREAM)
        for firm in outside:
            _member(firm, cosplay, APPROVED_2563, Position.DOWNSTREAM)
        for firm in members:
            for partner in outside[:2]:
                _request(firm, betta, 2564, partner=partner, value="1000")
        _request(members[11], betta, 2564, partner=outside[2], value="1000")
        for partner in outside[3:]:
            _request(members[4], betta, 2566, partner=partner, value="1000")
        db.session.commit()
        cluster_id = betta.id

    def draw(year):
        return networks.network(cluster_id, year, "en")

    for kept_from in (10**9, 0):
        monkeypatch.setattr(networks, "KEPT_FROM", kept_from)
        with app.app_context():
            before, after = draw(2564), draw(2566)
            assert [(node.name, node.links) for node in before.drawn] == [("Member 01", 2), ("Member 12", 3)]
            assert [(node.name, node.links) for node in after.drawn] == [("Member 05", 4), ("Member 12", 3)]
            assert (before.members, before.links_total, before.outside_links_total, before.isolated_total,
                    before.not_drawn) == (12, 25, 25, 0, 10)
            assert (after.links_total, after.outside_links_total) == (27, 27)
    # the figures, two pages, the first by name of those with two, links, members among them, names
    assert _statements(app, lambda: draw(2564)) == 8


# --- the page -----------------------------------------------------------------------------------------

def _as(app, world, who):
    with app.app_context():
        return signed_in(app, db.session.get(User, world[who]))


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get("/admin/scorecard/betta/network")
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize(("who", "path", "status"), [
    ("owner", "/admin/scorecard/betta/network", 403),  # owns member firm A
    ("other", "/admin/scorecard/betta/network", 403),  # coordinates another cluster
    ("coordinator", "/admin/scorecard/betta/network", 200),
    ("staff", "/admin/scorecard/betta/network", 200),
    ("staff", "/admin/scorecard/nosuch/network", 404),
    ("staff", "/admin/scorecard/betta/network?year=99999", 404),  # as the scorecard
    ("staff", "/admin/scorecard/betta/network?year=abc", 200),  # not a number: the year under way
])
def test_who_sees_the_map(app, world, who, path, status):
    assert _as(app, world, who).get(path).status_code == status


def _svg(page):
    return ET.fromstring(re.search(r"<svg .*?</svg>", page, re.S).group(0))


def test_the_svg_is_well_formed_and_accessible(app, world):
    page = body(_as(app, world, "staff").get(f"/admin/scorecard/betta/network?year={YEAR}"))
    svg = _svg(page)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "network-title network-desc"
    assert svg.find(f"{SVG}desc").text.endswith(
        "Member firms: 4. Links: 3, of which with firms outside the cluster: 1. Isolated members, with no link: 1.")
    nodes = svg.findall(f".//{SVG}g[@class='node']")
    assert [node.find(f"{SVG}title").text for node in nodes] == ["Firm A", "Firm D", "Firm B", "Firm C"]
    isolated = [node for node in nodes if node.get("data-isolated")]
    assert len(isolated) == 1 and isolated[0].find(f"{SVG}circle").get("fill") == "#ffffff"
    assert isolated[0].find(f"{SVG}text").text.endswith("○")
    paths = svg.findall(f".//{SVG}path")
    assert sorted(p.get("data-kind") for p in paths) == ["meeting", "outside", "partnership"]
    assert [p.find(f"{SVG}title").text for p in paths if p.get("data-kind") == "outside"] == [
        "Firm C and 1 firm in other clusters"]
    assert [p.get("stroke-dasharray") for p in paths if p.get("data-kind") == "meeting"] == ["6 4"]
    box = svg.find(f".//{SVG}g[@class='outside-box']")
    assert [t.text for t in box.findall(f"{SVG}text")] == ["Other clusters", "Firms: 1", "Links: 1"]
    assert page.count('<tr data-link=') == 2 and page.count('data-isolated="1"') == 2  # the SVG and the table
    assert re.search(r'<tr data-outside="\d+"><th scope="row" data-label="Firm">Firm C</th>\s*'
                     r'<td data-label="Other clusters">Firm E</td>', page)
    assert 'data-pair="upstream-downstream"' in page
    assert "Midstream, Downstream" not in page and "also Downstream; drawn once" in page


def test_long_names_are_cut_with_the_whole_name_in_the_title(app, world):
    with app.app_context():
        from portal.firms.models import Firm

        db.session.get(Firm, world["firms"]["D"]).name_en = "A very long firm name <with> & marks"
        db.session.commit()
    page = body(_as(app, world, "staff").get(f"/admin/scorecard/betta/network?year={YEAR}"))
    titles = {t.text for t in _svg(page).iter(f"{SVG}title")}
    texts = {t.text for t in _svg(page).iter(f"{SVG}text")}
    assert "A very long firm name <with> & marks" in titles
    assert "A very long firm …" in {text.rstrip(" ○") for text in texts}


def test_the_scorecard_links_to_the_map(app, world):
    page = body(_as(app, world, "coordinator").get(f"/admin/scorecard/betta?year={YEAR}"))
    assert f"/admin/scorecard/betta/network?year={YEAR}" in page


def test_the_map_in_thai(app, world, th):
    with app.app_context():
        from portal.clusters.models import Cluster

        name = db.session.get(Cluster, world["betta"]).name_th
    page = body(_as(app, world, "coordinator").get(f"/admin/scorecard/betta/network?year={YEAR}"))
    assert '<html lang="th"' in page
    assert th("Network map of %(cluster)s, fiscal year %(year)s", cluster=name, year=YEAR) in page
    assert th("No links between %(first)s and %(second)s", first=th("Upstream"), second=th("Downstream")) in page
    assert th("Isolated: no link") in page and th("Other clusters") in page
    assert th("Links with firms in other clusters, by member firm") in page
    assert th("%(first)s and %(num)s firm in other clusters", plural="%(first)s and %(num)s firms in other clusters",
              first="กิจการ C", num=1) in page
    assert "กิจการ A" in page and "2564" in page
    _svg(page)


def test_link_paths_keep_clear_of_the_lanes_they_pass():
    nodes = {1: networks.Node(1, "A", [], x=40, y=100), 2: networks.Node(2, "B", [], x=300, y=100),
             3: networks.Node(3, "C", [], x=560, y=100), 4: networks.Node(4, "D", [], x=40, y=160)}
    path = lambda a, b: networks.path(networks.Link(a, b, networks.PARTNERSHIP), nodes)  # noqa: E731
    assert path(1, 2) == "M 40.0 100.0 L 300.0 100.0"  # neighbouring lanes: a line
    assert path(1, 3) == "M 40.0 100.0 Q 300.0 160.0 560.0 100.0"  # past the middle lane: bowed down
    assert path(1, 4) == "M 40.0 100.0 Q 95.0 130.0 40.0 160.0"  # within a lane: bowed out to the right
    assert networks.to_box(nodes[3], (830, 60)) == "M 560.0 100.0 L 830.0 95.0"  # to the "other clusters" box


def test_a_member_with_no_recorded_position_gets_a_lane_of_its_own(app, world):
    from portal.clusters.models import Membership, MembershipStatus

    with app.app_context():
        firm = factories.firm(name_th="กิจการ G", name_en="Firm G")
        db.session.add(Membership(firm=firm, cluster=factories.cluster("betta"), status=MembershipStatus.APPROVED,
                                  positions=[], decided_at=APPROVED_2564, fiscal_year=2564))
        db.session.commit()
        firm_id, net = firm.id, _map(world)
    assert [lane.position for lane in net.lanes] == [*Position, None]
    assert [node.name for node in net.lanes[-1].nodes] == ["Firm G"] and net.nodes[firm_id].isolated
    assert net.missing_pairs == [(Position.UPSTREAM, Position.DOWNSTREAM)]  # pairs of the three positions only
    page = body(_as(app, world, "staff").get(f"/admin/scorecard/betta/network?year={YEAR}"))
    lanes = [g.get("data-lane") for g in _svg(page).findall(f"{SVG}g[@class='lane']")]
    assert lanes == ["upstream", "midstream", "downstream", "none"] and "No position recorded" in page


@pytest.mark.usefixtures("either_way")
def test_links_in_a_fixed_order(app, world):
    """Partnerships before meetings, links within the cluster before those outside, then by name."""
    with app.app_context():
        net = _map(world, 2565)
    names = {**{n.firm_id: n.name for n in net.nodes.values()}, **net.outside_names}
    assert [(link.kind, names[link.a], names[link.b]) for link in net.links] == [
        ("partnership", "Firm A", "Firm B"), ("partnership", "Firm A", "Firm C"), ("partnership", "Firm C", "Firm E"),
        ("meeting", "Firm B", "Firm C")]


@pytest.mark.parametrize("year", [2563, YEAR, 2565])
def test_the_kept_spans_say_what_the_kept_keys_say(app, world, year):
    """The map's members and positions (and the scorecard's members_at_year_end) read the kept membership
    spans; they are the firms and positions that adding up the kept keys gives, as the dashboard counts."""
    from portal.admin.models import ResultFirmKey
    from portal.scorecard import queries

    with app.app_context():
        one_pass = {firm_id: {p for n, p in enumerate(Position) if bits & (1 << n)}
                    for firm_id, bits in db.session.execute(networks._members_with_positions(world["betta"], year))}
        members = {firm_id for firm_id, _ in db.session.execute(queries.members_at_year_end(year, [world["betta"]]))}
        keys = db.session.execute(select(ResultFirmKey.firm_id, ResultFirmKey.dimension, ResultFirmKey.bucket)
                                  .where(ResultFirmKey.scope == world["betta"])).all()
    balance = {}
    for firm_id, dimension, bucket in keys:
        key_year, _sep, code = bucket.partition(":")
        if int(key_year) <= year and not dimension.startswith("province"):
            counted = (firm_id, code)
            balance[counted] = balance.get(counted, 0) + (1 if dimension.endswith("+") else -1)
    summed = {firm_id: {Position(code) for (other, code), n in balance.items() if other == firm_id and code and n > 0}
              for (firm_id, code), n in balance.items() if not code and n > 0}
    assert one_pass == summed and set(summed) == members and members


def test_a_large_clusters_best_linked_members_are_read_in_the_order_of_their_links_on_sqlite(app, world, monkeypatch):
    """SQLite's plan for the kept figures' first page: the firms in the order of their kept links
    (ix_result_link_keys_degree), each one's span looked up, no sort; joining the cluster's members first and
    sorting them took 500 ms at 1,000,000 firms."""
    monkeypatch.setattr(networks, "KEPT_FROM", 0)
    plans = []
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's planner")

        def explain(conn, cursor, statement, parameters, context, executemany):
            if "result_link_keys" in statement and "LIMIT" in statement:
                plans.append([row[3] for row in cursor.connection.execute("EXPLAIN QUERY PLAN " + statement,
                                                                          parameters)])

        event.listen(db.engine, "before_cursor_execute", explain)
        try:
            _map(world)
        finally:
            event.remove(db.engine, "before_cursor_execute", explain)
    assert len(plans) == 1
    assert plans[0][0].startswith("SCAN result_link_keys USING INDEX ix_result_link_keys_degree")
    assert not any("TEMP B-TREE" in step for step in plans[0])
