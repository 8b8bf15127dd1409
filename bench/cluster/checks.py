"""What `make cluster-test` checks after the run, and the table it prints per fault.

- Requests: every outcome the load users saw, with its time (bench/cluster/locustfile.py), placed in the
  fault phase it fell in: how many failed, from the first failure to the last, and how long after the
  dependency came back the last one was ("recovered").
- Writes (bench/locustfile.py's records, with bench/load_check.py's readers): every write the app
  acknowledged is in the database exactly once, under the id the app gave. A write whose answer was lost
  (the node died, the database went away mid-request) may or may not be there, at most once: those are
  counted as "unsure", never as errors, since the client cannot know.
- Mail: every e-mail the outbox marked sent reached the SMTP server (counted by Message-ID), none arrived
  that the outbox does not hold, nothing is left pending; a Message-ID that arrived twice is a duplicate
  the outbox's guarantee allows (a worker died between the server's acceptance and recording it, so the
  message went again after its lease, with the same id). Duplicates are counted and shown, and more than two
  copies of one message fail the run.
"""
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import create_engine, text

from bench import load_check

GOAL_SECONDS = 10.0


@dataclass
class Phase:
    name: str
    started: float
    returned: float | None = None  # when the dependency was back (None: no fault)
    ended: float | None = None
    mail_back: float | None = None  # seconds from `returned` until a probe e-mail arrived
    limits_back: float | None = None  # Redis: seconds from `returned` until the limits were shared again
    notes: list = field(default_factory=list)


@dataclass
class Verdict:
    errors: list = field(default_factory=list)
    lines: list = field(default_factory=list)


def read_requests(path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def in_phase(phases, moment: float) -> Phase | None:
    for phase in phases:
        if phase.started <= moment < (phase.ended or float("inf")):
            return phase
    return None


def request_table(phases, requests) -> dict[str, dict]:
    figures = {p.name: {"count": 0, "failed": 0, "first": None, "last": None, "last_ok": None, "errors": Counter()}
               for p in phases}
    for row in requests:
        phase = in_phase(phases, row["t"])
        if phase is None:
            continue
        entry = figures[phase.name]
        entry["count"] += 1
        if row["ok"]:
            entry["last_ok"] = max(entry["last_ok"] or row["t"], row["t"])
        else:
            entry["failed"] += 1
            entry["first"] = row["t"] if entry["first"] is None else entry["first"]
            entry["last"] = row["t"]
            entry["errors"][(row["error"] or "")[:60]] += 1
    for phase in phases:
        entry = figures[phase.name]
        entry["span"] = (entry["last"] - entry["first"]) if entry["first"] is not None else 0.0
        after = entry["last"] - phase.returned if phase.returned and entry["last"] else 0.0
        entry["recovered"] = max(0.0, after) if phase.returned else None
        if phase.returned and entry["last"] and (entry["last_ok"] or 0.0) < entry["last"]:
            entry["recovered"] = None  # it was still failing when the phase ended: no recovery seen
    return figures


def check_writes(url: str, records_path, phases) -> tuple[dict, list]:
    """Acknowledged writes exactly once; returns per-phase counts and the errors."""
    writes = load_check.read_records(records_path)
    times = _record_times(records_path)
    per_phase = defaultdict(Counter)
    errors = []
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {
            "request": load_check._found(conn, "SELECT id, title_th, title_en FROM collab_requests "
                                               "WHERE title_th LIKE '%LT-%' OR title_en LIKE '%LT-%'"),
            "response": load_check._found(conn, "SELECT response_id, body FROM collab_messages "
                                                "WHERE body LIKE '%LT-%'"),
        }
        approvals = {row.id: row for row in conn.execute(text(
            "SELECT m.id, m.status, u.email FROM memberships m LEFT JOIN users u ON u.id = m.decided_by_id "
            "WHERE m.decided_by_id IS NOT NULL"))}
    engine.dispose()
    for mark, write in writes.items():
        phase = in_phase(phases, times.get(mark, 0.0))
        counts = per_phase[phase.name if phase else "-"]
        if write.kind in found:
            ids = found[write.kind].get(mark, [])
            if write.outcome == "ack":
                counts["acked"] += 1
                if ids != [write.id]:
                    counts["bad"] += 1
                    errors.append(f"{write.kind} {mark} acknowledged as #{write.id}; the database has {ids or 'none'}")
            elif len(ids) > 1:
                counts["bad"] += 1
                errors.append(f"{write.kind} {mark} ({write.outcome}) is in the database {len(ids)} times: {ids}")
            elif ids:
                counts["unsure"] += 1  # committed, but the answer never reached the client
        elif write.kind == "approval" and write.outcome == "ack":
            counts["acked"] += 1
            row = approvals.get(write.id)
            if row is None or str(row.status).lower() != "approved":
                counts["bad"] += 1
                errors.append(f"approval {mark} acknowledged but membership #{write.id} is "
                              f"{row.status if row else 'undecided'}")
    for kind, marks in found.items():
        for mark in set(marks) - set(writes):
            errors.append(f"{kind} {mark} is in the database but was never sent")
    return per_phase, errors


def _record_times(path) -> dict[str, float]:
    times = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["outcome"] == "attempt" and "t" in row:
                times[row["token"]] = row["t"]
    return times


def _timestamp(value) -> float:
    """A UTC timestamp column read by plain SQL: a datetime (PostgreSQL) or ISO text (SQLite)."""
    if value is None:
        return 0.0
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).timestamp()


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def check_mail(url: str, received: Counter, phases) -> tuple[dict, list, dict]:
    """Every e-mail the outbox holds delivered, by Message-ID; per-phase counts, errors, totals."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT message_id, status, created_at FROM outbox_messages "
                                 "WHERE channel = 'email'")).all()
    engine.dispose()
    got = Counter({_bare(k): v for k, v in received.items()})
    per_phase, errors = defaultdict(Counter), []
    known = set()
    for message_id, status, created in rows:
        bare, status = _bare(message_id), str(status).lower()
        known.add(bare)
        moment = _timestamp(created)
        phase = in_phase(phases, moment)
        counts = per_phase[phase.name if phase else "-"]
        counts["queued"] += 1
        copies = got.get(bare, 0)
        if status == "sent" and copies >= 1:
            counts["delivered"] += 1
            counts["duplicates"] += copies - 1
            if copies > 2:
                errors.append(f"mail {message_id} arrived {copies} times")
        elif status == "sent":
            counts["missing"] += 1
            errors.append(f"mail {message_id} is marked sent but never arrived")
        else:
            counts["missing"] += 1
            errors.append(f"mail {message_id} is {status} after the run ({copies} copies arrived)")
    strangers = set(got) - known
    if strangers:
        errors.append(f"{len(strangers)} e-mails arrived that the outbox does not hold")
    totals = {"queued": len(rows), "distinct": len(set(got) & known),
              "duplicates": sum(v - 1 for k, v in got.items() if k in known)}
    return per_phase, errors, totals


def print_table(phases, requests, writes, mail) -> list[str]:
    """The table per fault; returns the goal failures (recovery slower than GOAL_SECONDS)."""
    figures = request_table(phases, requests)
    late = []
    print(f"\n{'phase':40} {'requests':>8} {'failed':>6} {'failing s':>9} {'recovered s':>11} {'mail back s':>11} "
          f"{'acked writes (bad, unsure)':>27} {'mail queued/delivered (dup, missing)':>37}")
    for phase in phases:
        entry, w, m = figures[phase.name], writes.get(phase.name, Counter()), mail.get(phase.name, Counter())
        recovered = ("never" if phase.returned else "-") if entry["recovered"] is None else f"{entry['recovered']:.1f}"
        mail_back = "-" if phase.mail_back is None else f"{phase.mail_back:.1f}"
        print(f"{phase.name:40} {entry['count']:>8} {entry['failed']:>6} {entry['span']:>9.1f} {recovered:>11} "
              f"{mail_back:>11} {w['acked']:>14} ({w['bad']}, {w['unsure']})"
              f"{m['queued']:>21}/{m['delivered']} ({m['duplicates']}, {m['missing']})")
        for error, times in entry["errors"].most_common(3):
            print(f"{'':42}failed x{times}: {error}")
        for note in phase.notes:
            print(f"{'':42}{note}")
        measured = [("recovered", entry["recovered"]), ("mail back", phase.mail_back)]
        if phase.name.endswith("Redis"):
            measured.append(("rate limits shared", phase.limits_back))
        for label, value in measured:
            if phase.returned and (value is None or value > GOAL_SECONDS):
                late.append(f"{phase.name}: {label} {'never' if value is None else f'after {value:.1f} s'} "
                            f"(goal <= {GOAL_SECONDS:.0f} s)")
    return late
