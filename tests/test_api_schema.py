"""Schemathesis against /api/openapi.json, in process (the WSGI app): every operation with generated
parameters, signed out, with a member's read token, and with write tokens of a member, a coordinator, an
OSMEP staff member and an OSMEP system (a service token); the writes land in this test's own database. No
5xx, and every response (errors included) matches the document: status codes, content types, headers and
bodies. A bounded number of examples per operation keeps each run under a minute."""
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from portal.api import tokens
from portal.auth.models import Role
from portal.clusters.models import MembershipStatus, Position
from portal.collab.models import CollabRequest, Kind
from portal.extensions import db
from portal.thai import bangkok_today
from tests import factories

EXAMPLES = 12
WRITERS = {}  # who -> a write token, made by the fixture


@pytest.fixture
def api_schema(app):
    with app.app_context():
        betta = factories.cluster("betta")
        member = factories.user(email="member@example.com")
        firm = factories.firm(name_th="ฟาร์มปลากัด", phone="+66812345678")
        factories.firm(name_th="ฟาร์มสมาชิก", public_listing_consent_at=None)
        factories.team_member(firm, member)
        factories.membership(firm, betta, Position.UPSTREAM)
        db.session.add(CollabRequest(firm_id=firm.id, cluster_id=betta.id, kind=Kind.SEEKING_SUPPLIER,
                                     title_th="หาปลากัด", expires_on=bangkok_today() + timedelta(days=10)))
        asking = factories.firm(name_th="ฟาร์มที่ขอเข้าร่วม")
        factories.membership(asking, betta, Position.DOWNSTREAM, status=MembershipStatus.PENDING)
        coordinator = factories.user(email="coordinator@example.com")
        factories.term(coordinator, betta)
        _token, raw = tokens.create_token(member, "schemathesis", write=False, days=1)
        WRITERS["member"] = tokens.create_token(member, "writer", write=True, days=1)[1]
        WRITERS["coordinator"] = tokens.create_token(coordinator, "writer", write=True, days=1)[1]
        staff = factories.user(email="staff@example.com", role=Role.STAFF)
        WRITERS["staff"] = tokens.create_token(staff, "writer", write=True, days=1)[1]
        admin = factories.user(email="admin@example.com", role=Role.ADMIN)
        WRITERS["service"] = tokens.create_service_token(admin, "SME One", write=True, days=1,
                                                         contact_email="it@osmep.example")[1]
        db.session.commit()
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app), raw


def run_every_operation(schema, headers):
    """Each operation's generated cases (valid and invalid), through the app; failures are collected so
    that one run names every operation that breaks."""
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12  # the document lists the API's routes, not a subset
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                # Valid-looking values the database does not hold (a cluster slug, a cursor) are refused
                # with a documented 4xx problem: "positive data acceptance" would call that a failure.
                case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

            try:
                run()
            except Unsatisfiable:  # no invalid input can be made for it (no parameters, or free text only)
                continue
            except Exception as exc:  # noqa: BLE001  (collected, reported below)
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


def test_signed_out_the_api_matches_its_document(api_schema):
    schema, _raw = api_schema
    run_every_operation(schema, {})


def test_with_a_member_token_the_api_matches_its_document(api_schema):
    schema, raw = api_schema
    run_every_operation(schema, {"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("who", ["member", "coordinator", "staff", "service"])
def test_with_a_write_token_the_api_matches_its_document(api_schema, who):
    schema, _raw = api_schema
    run_every_operation(schema, {"Authorization": f"Bearer {WRITERS[who]}"})
