"""Programme results: totals from a hand-built dataset, fiscal-year boundaries in Bangkok time, a firm in
several clusters counted once, coordinator scope, exports, outcome confirmation, the public summary."""
import csv
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.auth.models import Role
from portal.clusters.models import MembershipStatus, Position
from portal.collab.models import (
    CloseReason,
    CollabRequest,
    Confirmation,
    Kind,
    Outcome,
    OutcomeKind,
    RequestStatus,
    Response,
)
from portal.extensions import db
from portal.thai import bangkok_today, fiscal_year
from tests import factories
from tests.helpers import signed_in

LAST_MINUTE_2563 = datetime(2020, 9, 30, 16, 59, tzinfo=timezone.utc)  # 23:59 on 30 Sep in Bangkok
FIRST_MINUTE_2564 = datetime(2020, 9, 30, 17, 0, tzinfo=timezone.utc)  # 00:00 on 1 Oct in Bangkok


def approved(firm, cluster, when, *positions, status=MembershipStatus.APPROVED):
    membership = factories.membership(firm, cluster, *(positions or (Position.UPSTREAM,)), status=status)
    membership.decided_at, membership.fiscal_year = when, fiscal_year(when)
    return membership


@pytest.fixture
def programme(app):
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        a = factories.firm(name_th="ฟาร์มเอ", province_code="73")
        b = factories.firm(name_th="ฟาร์มบี", province_code="10")
        c = factories.firm(name_th="สตูดิโอซี", province_code="10")
        approved(a, betta, LAST_MINUTE_2563, Position.UPSTREAM, Position.DOWNSTREAM)
        approved(a, cosplay, LAST_MINUTE_2563, Position.MIDSTREAM)  # same firm, second cluster, same year
        approved(b, betta, FIRST_MINUTE_2564, Position.UPSTREAM)
        left = approved(c, cosplay, FIRST_MINUTE_2564, Position.MIDSTREAM, status=MembershipStatus.LEFT)
        left.ended_at = datetime(2022, 1, 10, tzinfo=timezone.utc)  # fiscal year 2565

        def request(firm, cluster, kind, year, partner=None, value=None, outcome_kind=None, confirmed=False):
            r = CollabRequest(firm_id=firm.id, cluster_id=cluster.id if cluster else None, kind=kind,
                              title_th="คำขอ", expires_on=bangkok_today(), fiscal_year=year,
                              status=RequestStatus.CLOSED if partner else RequestStatus.OPEN,
                              close_reason=CloseReason.PARTNERED if partner else None)
            db.session.add(r)
            db.session.flush()
            if partner:
                db.session.add(Response(request_id=r.id, firm_id=partner.id))
                db.session.add(Outcome.of_request(r, partner_firm_id=partner.id, value_baht=Decimal(value),
                                       kind=outcome_kind, fiscal_year=year,
                                       confirmation=Confirmation.CONFIRMED if confirmed else Confirmation.UNCONFIRMED))
            return r

        request(a, betta, Kind.JOINT_PURCHASING, 2564, b, "120000.50", OutcomeKind.COST_SAVED, confirmed=True)
        request(b, betta, Kind.JOINT_SELLING, 2564, a, "380000", OutcomeKind.NEW_SALES)
        request(c, cosplay, Kind.CO_INVESTMENT, 2564, a, "500000", OutcomeKind.NEW_SALES)
        request(a, None, Kind.KNOWLEDGE, 2564)  # open to all, unanswered
        request(b, betta, Kind.TRADE_FAIR, 2563)
        staff = factories.user(email="staff@example.com", role=Role.STAFF, locale="en")
        coordinator = factories.user(email="coord@example.com", locale="en")
        factories.term(coordinator, betta)
        db.session.commit()
        return {"staff": staff.id}


def test_programme_figures_by_fiscal_year(app, programme):
    from portal.admin import dashboard

    with app.test_request_context("/"):
        fy63 = dashboard.figures(2563, None)
        fy64 = dashboard.figures(2564, None)
    # Member firms at the end of each fiscal year: A (in two clusters, counted once) from 2563; B and C
    # joined in 2564; C left in 2565. The figure of a year does not change with what happened after it.
    assert (fy63.members, fy63.members_joined, fy63.members_left) == (1, 1, 0)
    assert (fy64.members, fy64.members_joined, fy64.members_left) == (3, 2, 0)
    assert dict(fy64.by_year) == {2563: 1, 2564: 3}
    assert dict(fy64.by_position) == {Position.UPSTREAM: 2, Position.DOWNSTREAM: 1, Position.MIDSTREAM: 2}
    with app.test_request_context("/"):
        fy65, fy70 = dashboard.figures(2565, None), dashboard.figures(2570, None)
    assert (fy65.members, fy65.members_joined, fy65.members_left) == (2, 0, 1)
    assert dict(fy70.by_year) == {2563: 1, 2564: 3, 2565: 2, 2566: 2, 2567: 2, 2568: 2, 2569: 2, 2570: 2}
    # the last bar is the headline
    assert fy70.by_year[-1] == (2570, fy70.members) and fy64.by_year[-1] == (2564, fy64.members)
    assert (fy64.requests_posted, fy64.requests_answered, fy64.requests_partnered) == (4, 3, 3)
    assert fy64.value_confirmed == Decimal("120000.50")
    assert fy64.value_unconfirmed == Decimal("880000")
    # the breakdowns add up to the headline: confirmed values only (the 880,000 reported stay apart)
    assert fy64.value_by_kind == {OutcomeKind.COST_SAVED: Decimal("120000.50")}
    assert {aim.value: v for aim, v in fy64.value_by_aim.items()} == {"cost": Decimal("120000.50")}
    assert fy63.requests_posted == 1 and fy63.requests_partnered == 0


def test_coordinators_see_their_clusters_only(app, programme):
    coordinator = app.test_client()
    factories.sign_in(coordinator, "coord@example.com")
    page = coordinator.get("/admin/results/dashboard?year=2564").get_data(as_text=True)
    assert "500,000" not in page  # Cosplay's partnership is not in the Betta coordinator's figures
    assert "380,000" in page and "380,000.00" not in page  # whole baht, written plainly (#17.12)
    assert coordinator.get("/admin/results/dashboard?year=2564&cluster=cosplay").status_code == 404
    member = app.test_client()
    with app.app_context():
        factories.user(email="member@example.com")
        db.session.commit()
    factories.sign_in(member, "member@example.com")
    assert member.get("/admin/results/dashboard").status_code == 403


def test_dashboard_renders_charts_with_tables_in_thai(app, programme):
    staff = app.test_client()
    factories.sign_in(staff, "staff@example.com")
    page = staff.get("/admin/results/dashboard?year=2564&lang=th").get_data(as_text=True)
    assert '<svg role="img"' in page and "<title" in page and "<table" in page
    assert "0.12 ล้านบาท" in page  # 120,000.50 baht confirmed in 2564 (1,000,000.50 reported)
    assert "880,000 บาท" in page  # the rest, shown apart as not yet confirmed
    assert "2564" in page


@pytest.mark.parametrize("name", ["members_by_year", "members_by_position", "members_by_province", "requests",
                                  "value_by_aim", "value_by_kind"])
def test_every_table_exports_as_csv_and_excel(app, programme, name):
    staff = app.test_client()
    factories.sign_in(staff, "staff@example.com")
    as_csv = staff.get(f"/admin/results/dashboard/{name}.csv?year=2564&lang=th")
    assert as_csv.status_code == 200 and as_csv.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    as_xlsx = staff.get(f"/admin/results/dashboard/{name}.xlsx?year=2564&lang=th")
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    def same(value):
        try:
            return float(value)
        except (TypeError, ValueError):
            return str(value)

    assert [[same(c.value) for c in row] for row in sheet.iter_rows()] == [[same(v) for v in row] for row in rows]
    assert len(rows) >= 2
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)  # text is text, never a formula


def test_an_excel_export_stores_text_that_looks_like_a_formula_as_text():
    """The dashboard's .xlsx goes through exports.workbook_bytes: "=…" from a name is a text cell."""
    from portal.exports import workbook_bytes

    sheet = load_workbook(io.BytesIO(workbook_bytes("t", ["name"], [["=HYPERLINK(\"x\")"], ["-1+2"]]))).active
    assert [(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row] == [
        ('=HYPERLINK("x")', "s"), ("-1+2", "s")]


def test_coordinator_confirms_or_queries_a_value(app, programme):
    coordinator = app.test_client()
    factories.sign_in(coordinator, "coord@example.com")
    with app.app_context():
        unconfirmed = db.session.scalar(db.select(Outcome).where(Outcome.value_baht == Decimal(380000)))
        cosplay_outcome = db.session.scalar(db.select(Outcome).where(Outcome.value_baht == Decimal(500000)))
    coordinator.post(f"/admin/results/outcomes/{unconfirmed.id}/confirmed")
    assert coordinator.post(f"/admin/results/outcomes/{cosplay_outcome.id}/queried").status_code == 403
    from portal.admin import dashboard

    with app.test_request_context("/"):
        figures = dashboard.figures(2564, None)
    assert figures.value_confirmed == Decimal("500000.50") and figures.value_unconfirmed == Decimal(500000)


def test_public_summary_has_no_firm_level_data(client, programme):
    page = client.get("/results?year=2564&lang=en").get_data(as_text=True)
    assert "0.12 million baht" in page and "partnerships reported" in page  # confirmed only
    assert "not yet confirmed, not counted above: 0.88 million baht" in page
    for name in ("ฟาร์มเอ", "ฟาร์มบี", "สตูดิโอซี"):
        assert name not in page
    assert client.get("/results?year=99").status_code == 404


# --- issue #14, finding 5: only confirmed values make the headlines; big ones need OSMEP staff --------

def _outcome_of(value):
    return db.session.scalar(db.select(Outcome).where(Outcome.value_baht == Decimal(value)))


def test_coordinators_confirm_up_to_the_threshold_staff_above_it(app, programme):
    with app.app_context():
        big = _outcome_of(380000)
        big.value_baht = Decimal("10000000.01")  # just above the default threshold of 10 million baht
        db.session.commit()
        big_id = big.id
    coordinator, staff = signed_in(app, "coord@example.com"), signed_in(app, "staff@example.com")
    page = coordinator.get("/admin/results/outcomes?year=2564&lang=en").get_data(as_text=True)
    assert f"/admin/results/outcomes/{big_id}/confirmed" not in page and "For OSMEP staff to decide." in page
    assert coordinator.post(f"/admin/results/outcomes/{big_id}/confirmed").status_code == 403
    with app.app_context():
        assert db.session.get(Outcome, big_id).confirmation is Confirmation.UNCONFIRMED
    assert staff.post(f"/admin/results/outcomes/{big_id}/confirmed").status_code == 302
    with app.app_context():
        outcome = db.session.get(Outcome, big_id)
        assert outcome.confirmation is Confirmation.CONFIRMED and outcome.confirmed_by_id == programme["staff"]


def test_staff_set_the_threshold_on_a_page_and_it_is_audited(app, programme):
    from portal.admin.models import ResultsSettings
    from portal.audit import AuditEntry

    coordinator, staff = signed_in(app, "coord@example.com"), signed_in(app, "staff@example.com")
    assert coordinator.get("/admin/results/settings").status_code == 403
    assert coordinator.post("/admin/results/settings", data={"value": "1"}).status_code == 403
    page = staff.get("/admin/results/settings?lang=th").get_data(as_text=True)
    assert "10,000,000 บาท" in page  # the default until staff change it
    for bad in ("abc", "-5", "", "1e400", "NaN"):
        refused = staff.post("/admin/results/settings?lang=en", data={"value": bad})
        assert refused.status_code == 200 and "Enter an amount in baht" in refused.get_data(as_text=True), bad
    with app.app_context():
        assert db.session.get(ResultsSettings, 1) is None
    assert staff.post("/admin/results/settings", data={"value": "300000"}).status_code == 302
    with app.app_context():
        assert db.session.get(ResultsSettings, 1).staff_confirmation_above == Decimal(300000)
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "results.threshold_changed"))
        assert entry.actor_id == programme["staff"] and entry.details == {"before": "10000000", "after": "300000"}
        unconfirmed = _outcome_of(380000).id  # now above the threshold: for staff only
    assert coordinator.post(f"/admin/results/outcomes/{unconfirmed}/confirmed").status_code == 403
    assert "300,000 baht" in staff.get("/admin/results/settings?lang=en").get_data(as_text=True)


def test_coordinator_cannot_confirm_their_own_firms_outcome(app, programme):
    with app.app_context():
        from portal.auth.models import User

        coordinator = db.session.scalar(db.select(User).where(User.email == "coord@example.com"))
        outcome = _outcome_of(380000)
        request = db.session.get(CollabRequest, outcome.request_id)
        factories.team_member(db.session.get(factories.Firm, request.firm_id), coordinator, "editor")
        db.session.commit()
        outcome_id = outcome.id
    client = signed_in(app, "coord@example.com")
    page = client.get("/admin/results/outcomes?year=2564").get_data(as_text=True)
    assert f"/admin/results/outcomes/{outcome_id}/confirmed" not in page
    assert client.post(f"/admin/results/outcomes/{outcome_id}/confirmed").status_code == 403
    with app.app_context():
        assert db.session.get(Outcome, outcome_id).confirmation is Confirmation.UNCONFIRMED


def partnered(a, b, cluster, year, value, confirmation):
    """A request of firm a closed as partnered with b in `year`, its outcome worth `value` baht."""
    r = CollabRequest(firm_id=a.id, cluster_id=cluster.id, kind=Kind.JOINT_SELLING, title_th="ขายร่วม",
                      expires_on=bangkok_today(), fiscal_year=year, status=RequestStatus.CLOSED,
                      close_reason=CloseReason.PARTNERED)
    db.session.add(r)
    db.session.flush()
    db.session.add(Outcome.of_request(r, partner_firm_id=b.id, value_baht=Decimal(value), kind=OutcomeKind.NEW_SALES,
                                      fiscal_year=year, confirmation=confirmation))


def test_public_headlines_count_confirmed_values_only(app, client):
    """The pentest: 999,999,999,999 baht reported between two firms of one owner read as 1,000,000 million."""
    from portal.db import utcnow

    year = fiscal_year(utcnow())
    with app.app_context():
        betta = factories.cluster("betta")
        a, b = factories.firm(name_th="ฟาร์มเอ"), factories.firm(name_th="ฟาร์มบี")
        for firm in (a, b):
            factories.membership(firm, betta)
        for value, confirmation in (("999999999999", Confirmation.UNCONFIRMED), ("2500000", Confirmation.CONFIRMED)):
            partnered(a, b, betta, year, value, confirmation)
        staff = factories.user(email="staff@example.com", role=Role.STAFF)
        db.session.commit()
        assert staff.id
    for url in ("/?lang=en", f"/results?year={year}&lang=en"):
        page = client.get(url).get_data(as_text=True)
        assert "<strong>2.50 million baht</strong> confirmed cost reduction or new sales" in page, url
        assert "not yet confirmed, not counted above: 1,000,000.00 million baht" in page, url
        assert "<strong>1,000,0" not in page, url
    dashboard = signed_in(app, "staff@example.com").get(f"/admin/results/dashboard?year={year}&lang=en")
    assert "<strong>2.50 million baht</strong>" in dashboard.get_data(as_text=True)  # the same figure


def test_the_home_page_and_results_show_the_same_figures_while_counts_are_kept(app, client, monkeypatch):
    """Counted at most once per COUNTS_CACHE_SECONDS for the public pages: a value confirmed in between shows
    on both pages together, never on one of them only."""
    import re

    from portal import reference
    from portal.db import utcnow

    monkeypatch.setitem(app.config, "COUNTS_CACHE_SECONDS", 60)
    reference.forget("programme-")
    year = fiscal_year(utcnow())

    def report(value):
        with app.app_context():
            partnered(factories.firm(), factories.firm(), factories.cluster("betta"), year, value,
                      Confirmation.CONFIRMED)
            db.session.commit()

    def headline(url):
        page = client.get(url).get_data(as_text=True)
        found = re.search(r"<strong>([\d.,]+ million baht)</strong> confirmed", page)
        assert found, url
        return found.group(1)

    try:
        report("2500000")
        assert headline("/?lang=en") == "2.50 million baht"
        report("1000000")
        assert headline(f"/results?year={year}&lang=en") == headline("/?lang=en")
        reference.forget("programme-")  # as when the minute is up
        assert headline(f"/results?year={year}&lang=en") == headline("/?lang=en") == "3.50 million baht"
    finally:
        reference.forget("programme-")
