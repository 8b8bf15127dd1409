"""The scorecard pages: who sees what (403 for the wrong people), the sortable table of all clusters with
the programme median, CSV and Excel, Thai text, and the programme funnel on the public /results page."""
import csv
import io

import pytest
from openpyxl import load_workbook

from portal.auth.models import User
from portal.extensions import db
from tests import scorecard_world
from tests.helpers import body, signed_in
from tests.scorecard_world import YEAR


@pytest.fixture
def world(app):
    with app.app_context():
        return scorecard_world.build()


def _as(app, world, who):
    with app.app_context():
        return signed_in(app, db.session.get(User, world[who]))


def test_anonymous_is_sent_to_sign_in(client, world):
    for path in ("/admin/scorecard/", "/admin/scorecard/betta", "/admin/scorecard/table.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize(("who", "path", "status"), [
    ("owner", "/admin/scorecard/", 403),          # owns firm A, a member of both clusters
    ("owner", "/admin/scorecard/betta", 403),
    ("coordinator", "/admin/scorecard/cosplay", 403),   # another cluster
    ("coordinator", "/admin/scorecard/table.csv", 403),  # the table of all is for staff
    ("coordinator", "/admin/scorecard/table.xlsx", 403),
    ("coordinator", "/admin/scorecard/betta", 200),
    ("staff", "/admin/scorecard/cosplay", 200),
    ("staff", "/admin/scorecard/nosuchcluster", 404),
    ("staff", "/admin/scorecard/?year=99999", 404),
])
def test_who_sees_what(app, world, who, path, status):
    assert _as(app, world, who).get(path).status_code == status


def test_a_coordinator_is_taken_to_their_cluster(app, world):
    response = _as(app, world, "coordinator").get(f"/admin/scorecard/?year={YEAR}")
    assert response.status_code == 302 and response.location.endswith(f"/admin/scorecard/betta?year={YEAR}")


def test_cluster_scorecard_page_in_thai(app, world, th):
    page = body(_as(app, world, "coordinator").get(f"/admin/scorecard/betta?year={YEAR}"))
    assert '<html lang="th"' in page
    assert th("Value-chain coverage at the end of the year") in page
    assert th("No firm at this position") in page  # midstream
    assert th("%(rate)s (%(answered)s answered of %(sent)s sent in the year)", rate="–", answered=0, sent=0) in page
    assert 'data-figure="members">3<' in page and 'data-figure="members_before">1<' in page
    assert 'data-figure="growth">200.0%<' in page
    assert 'data-figure="meetings_held">2<' in page and 'data-figure="agreements">1<' in page
    assert th("For comparison: ECCP reported that about %(eccp)s of meetings led to agreements; here %(ours)s did.",
              eccp="19%", ours="50.0%") in page
    assert "2564" in page


def test_all_clusters_table(app, world):
    client = _as(app, world, "staff")
    page = body(client.get(f"/admin/scorecard/?year={YEAR}&sort=-members"))
    assert "Firm A" not in page  # no firm-level data
    assert page.index("Betta") < page.index("Cosplay")
    page = body(client.get(f"/admin/scorecard/?year={YEAR}&sort=members"))
    assert page.index("Cosplay") < page.index("Betta")
    assert 'aria-sort="ascending"' in page
    assert 'data-median="members">' in page and "Programme median" in page
    assert 'data-figure="requests_posted">5<' in page  # the programme funnel


@pytest.mark.parametrize("sort", ["name", "members;drop table", "%00", "-" * 300, "__class__"])
def test_a_bad_sort_falls_back_with_a_notice(app, world, sort):
    response = _as(app, world, "staff").get("/admin/scorecard/", query_string={"sort": sort, "year": YEAR})
    assert response.status_code == 200
    assert "The table cannot be sorted that way; it is sorted by cluster name." in body(response)


def _export(app, world, fmt, sort="-members"):
    response = _as(app, world, "staff").get(f"/admin/scorecard/table.{fmt}?year={YEAR}&sort={sort}")
    assert response.status_code == 200
    assert f"scorecards-{YEAR}.{fmt}" in response.headers["Content-Disposition"]
    return response


def test_csv(app, world):
    rows = list(csv.reader(io.StringIO(_export(app, world, "csv").get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert header[:3] == ["Cluster", "Member firms at the end of the year", "Growth over the year before (%)"]
    betta, cosplay = rows[1], rows[2]
    assert betta[0].startswith("Betta") and cosplay[0].startswith("Cosplay")
    column = {name: n for n, name in enumerate(header)}
    assert betta[column["Member firms at the end of the year"]] == "3"
    assert betta[column["Growth over the year before (%)"]] == "200.0"
    assert betta[column["Collaboration density (%)"]] == "66.7"
    assert betta[column["Midstream"]] == "0" and betta[column["Positions with no firm"]] == "1"
    assert betta[column["Confirmed value (baht)"]] == "100000.0"
    assert cosplay[column["Growth over the year before (%)"]] == ""  # no members the year before
    assert rows[-1][0] == "Programme median"
    assert len(rows) == 2 + len(scorecard_world_clusters(app))


def scorecard_world_clusters(app):
    from portal import reference

    with app.app_context():
        return reference.clusters()


def test_excel(app, world):
    book = load_workbook(io.BytesIO(_export(app, world, "xlsx").data))
    rows = list(book.active.values)
    assert rows[0][0] == "Cluster"
    assert rows[1][0].startswith("Betta") and rows[1][1] == 3
    assert rows[-1][0] == "Programme median"


def test_public_results_show_the_programme_funnel(client, world):
    page = body(client.get(f"/results?year={YEAR}&lang=en"))
    for figure, value in (("requests_posted", "5"), ("requests_answered", "3"), ("requests_partnered", "3"),
                          ("meetings_requested", "4"), ("meetings_held", "2"), ("agreements", "1")):
        assert f'data-figure="{figure}">{value}<' in page
    assert 'data-figure="value_confirmed">130,000 baht<' in page
    assert "Firm A" not in page and "กิจการ A" not in page  # counts only


def test_all_clusters_table_in_thai(app, world, th):
    with app.app_context():
        db.session.get(User, world["staff"]).locale = "th"
        db.session.commit()
    page = body(_as(app, world, "staff").get(f"/admin/scorecard/?year={YEAR}&sort=nonsense"))
    assert '<html lang="th"' in page
    assert th("Cluster scorecards, fiscal year %(year)s", year=YEAR) in page
    assert th("The table cannot be sorted that way; it is sorted by cluster name.") in page
    assert th("Programme median") in page and th("Collaboration density") in page
    assert th("Follow-up answer rate: questions answered over questions sent in the year to the members at its "
              "end.") in page and th("Follow-up answer rate") in page


def test_the_dashboard_links_to_the_scorecards(app, world):
    coordinator_page = body(_as(app, world, "coordinator").get(f"/admin/results/dashboard?year={YEAR}"))
    assert f'href="/admin/scorecard/betta?year={YEAR}"' in coordinator_page
    assert f'href="/admin/scorecard/?year={YEAR}"' not in coordinator_page
    staff_page = body(_as(app, world, "staff").get(f"/admin/results/dashboard?year={YEAR}"))
    assert f'href="/admin/scorecard/?year={YEAR}"' in staff_page
