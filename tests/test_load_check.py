"""The load benchmark's after-run check (bench/load_check.py) must catch lost and phantom writes."""
import json
from datetime import date

from bench import load_check
from portal.clusters.models import MembershipStatus
from portal.collab.models import CollabRequest, Kind, Message, Response
from portal.db import utcnow
from portal.extensions import db
from tests import factories as f


def _write(path, *rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _data():
    """One posted request (token A), one response (token B), a membership approved by a load coordinator."""
    betta = f.cluster("betta")
    poster, responder = f.firm(), f.firm()
    request = CollabRequest(firm_id=poster.id, kind=Kind.KNOWLEDGE, title_th="หาพันธมิตร [LT-aaaaaaaaaaaa]",
                            expires_on=date(2030, 1, 1))
    db.session.add(request)
    db.session.flush()
    response = Response(request_id=request.id, firm_id=responder.id)
    db.session.add(response)
    db.session.flush()
    db.session.add(Message(response_id=response.id, firm_id=responder.id, body="สนใจ [LT-bbbbbbbbbbbb]"))
    coordinator = f.user(email="coordinator1.betta@load.example")
    approved = f.membership(f.firm(), betta, status=MembershipStatus.APPROVED)
    approved.decided_by_id, approved.decided_at = coordinator.id, utcnow()
    pending = f.membership(f.firm(), betta, status=MembershipStatus.PENDING)
    db.session.commit()
    return request.id, response.id, approved.id, pending.id


def _records(request_id, response_id, approved_id):
    user = "coordinator1.betta@load.example"
    return [
        {"kind": "request", "token": "LT-aaaaaaaaaaaa", "outcome": "attempt", "user": "m"},
        {"kind": "request", "token": "LT-aaaaaaaaaaaa", "outcome": "ack", "id": request_id, "user": "m"},
        {"kind": "response", "token": "LT-bbbbbbbbbbbb", "outcome": "attempt", "user": "m"},
        {"kind": "response", "token": "LT-bbbbbbbbbbbb", "outcome": "ack", "id": response_id, "user": "m"},
        {"kind": "approval", "token": "a1", "outcome": "attempt", "id": approved_id, "user": user},
        {"kind": "approval", "token": "a1", "outcome": "ack", "id": approved_id, "user": user},
    ]


def test_matching_records_pass_and_every_kind_of_mismatch_is_reported(ctx, tmp_path):
    request_id, response_id, approved_id, pending_id = _data()
    url = ctx.config["SQLALCHEMY_DATABASE_URI"]
    good = _records(request_id, response_id, approved_id)
    report = load_check.verify(url, _write(tmp_path / "good.jsonl", *good))
    assert report.ok, report.errors
    assert report.counts["request"]["ack"] == 1

    user = "coordinator1.betta@load.example"
    bad = [
        good[0], {**good[1], "outcome": "failed"},  # a write the user was told failed is in the database
        {**good[2], "token": "LT-cccccccccccc"},  # acknowledged, but not in the database
        {**good[3], "token": "LT-cccccccccccc"},
        {"kind": "approval", "token": "a2", "outcome": "ack", "id": pending_id, "user": user},  # still pending
    ]
    errors = load_check.verify(url, _write(tmp_path / "bad.jsonl", *bad)).errors
    assert any("LT-aaaaaaaaaaaa was failed but is in the database" in e for e in errors)
    assert any("LT-cccccccccccc acknowledged" in e and "none" in e for e in errors)
    assert any("LT-bbbbbbbbbbbb is in the database but was never sent" in e for e in errors)
    assert any(f"acknowledged but membership #{pending_id} is pending" in e for e in errors)
    assert any(f"membership #{approved_id} was decided by a load coordinator who never sent it" in e
               for e in errors)


def test_an_approval_acknowledged_to_two_coordinators_is_reported(ctx, tmp_path):
    request_id, response_id, approved_id, _pending_id = _data()
    f.user(email="coordinator2.betta@load.example")
    db.session.commit()
    second = {"kind": "approval", "token": "a2", "outcome": "ack", "id": approved_id,
              "user": "coordinator2.betta@load.example"}
    records = _write(tmp_path / "race.jsonl", *_records(request_id, response_id, approved_id), second)
    errors = load_check.verify(ctx.config["SQLALCHEMY_DATABASE_URI"], records).errors
    assert errors == [f"membership #{approved_id}: 2 coordinators were each told they approved it "
                      "(concurrent decisions on one membership both succeeded)"]


def test_a_load_that_made_no_writes_of_a_kind_fails(ctx, tmp_path):
    """A gate or a changed page can turn a kind of write into reads: a load whose members never answered (only
    attempts of other kinds, nothing acknowledged of this one) must not pass on nothing."""
    request_id, response_id, approved_id, _pending_id = _data()
    without_responses = [row for row in _records(request_id, response_id, approved_id) if row["kind"] != "response"]
    errors = load_check.verify(ctx.config["SQLALCHEMY_DATABASE_URI"],
                               _write(tmp_path / "reads.jsonl", *without_responses)).errors
    assert "no response was acknowledged: the load did not exercise that write" in errors
    assert not any("no request" in e or "no approval" in e for e in errors)
