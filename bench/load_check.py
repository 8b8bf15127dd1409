"""After a load run: compare what the load users were told with what the database holds.

Records (JSON lines written by bench/locustfile.py) say, per write, "attempt" and then "ack", "refused"
or "failed". A write counts as acknowledged only with an "ack". The checks:
- every acknowledged request and response is in the database exactly once, under the id the app gave;
- no write that was refused, failed, or never answered (still in flight when the run stopped) is there;
- every acknowledged approval left its membership approved by that coordinator, and no membership was
  approved by a load coordinator without an acknowledgement.
"""
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

TOKEN = re.compile(r"LT-[0-9a-f]{12}")


@dataclass
class Outcome:
    kind: str
    user: str
    outcome: str = "unanswered"  # attempt written, no answer recorded (in flight when the run stopped)
    id: int | None = None


@dataclass
class Report:
    counts: dict = field(default_factory=dict)  # kind -> Counter of outcomes
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_records(path) -> dict[str, Outcome]:
    writes: dict[str, Outcome] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["outcome"] == "attempt":
                writes[row["token"]] = Outcome(row["kind"], row["user"], id=row.get("id"))
            else:
                write = writes.setdefault(row["token"], Outcome(row["kind"], row["user"]))
                write.outcome, write.id = row["outcome"], row.get("id", write.id)
    return writes


def _found(conn, sql) -> dict[str, list[int]]:
    """token -> ids of the rows whose text carries it."""
    found = defaultdict(list)
    for row_id, *texts in conn.execute(text(sql)):
        for mark in set(TOKEN.findall(" ".join(t or "" for t in texts))):
            found[mark].append(row_id)
    return found


def _check_tokens(report, kind, writes, found) -> None:
    for mark, write in writes.items():
        ids = found.get(mark, [])
        if write.outcome == "ack" and ids != [write.id]:
            report.errors.append(f"{kind} {mark} acknowledged as #{write.id} but the database has {ids or 'none'}")
        elif write.outcome != "ack" and ids:
            report.errors.append(f"{kind} {mark} was {write.outcome} but is in the database as {ids}")
    for mark in set(found) - set(writes):
        report.errors.append(f"{kind} {mark} is in the database but was never sent")


def _id_list(values) -> str:
    """Integers for an SQL IN list (they come from our own records and database)."""
    return ",".join(str(int(v)) for v in values if v is not None) or "NULL"


def _check_approvals(report, conn, writes) -> None:
    from bench.load_data import EMAIL_DOMAIN

    users = dict(conn.execute(text("SELECT email, id FROM users WHERE email LIKE :p"),
                              {"p": f"coordinator%@{EMAIL_DOMAIN}"}).all())
    rows = {row.id: row for row in conn.execute(text(
        "SELECT id, status, decided_by_id FROM memberships WHERE decided_by_id IN "
        f"({_id_list(users.values())}) OR id IN ({_id_list(w.id for w in writes.values())})"))}
    decided = {key: row for key, row in rows.items() if row.decided_by_id in users.values()}
    acked = Counter(w.id for w in writes.values() if w.outcome == "ack")
    for membership_id, times in acked.items():
        if times > 1:
            report.errors.append(f"membership #{membership_id}: {times} coordinators were each told they approved it "
                                 "(concurrent decisions on one membership both succeeded)")
    for mark, write in writes.items():
        row = rows.get(write.id)
        by_this = row is not None and row.status == "approved" and row.decided_by_id == users.get(write.user)
        if write.outcome == "ack":
            if not by_this and acked[write.id] == 1:
                report.errors.append(f"approval {mark} acknowledged but membership #{write.id} is "
                                     f"{row.status if row else 'missing'}" +
                                     (" (decided by someone else)" if row and row.status == "approved" else ""))
        elif by_this:
            report.errors.append(f"approval {mark} was {write.outcome} but membership #{write.id} is approved")
    sent = {(w.id, users.get(w.user)) for w in writes.values()}
    for membership_id in set(decided) - set(acked):
        if (membership_id, decided[membership_id].decided_by_id) not in sent:
            report.errors.append(f"membership #{membership_id} was decided by a load coordinator who never sent it")


def verify(url: str, records_path) -> Report:
    writes = read_records(records_path)
    report = Report()
    by_kind = defaultdict(dict)
    for mark, write in writes.items():
        by_kind[write.kind][mark] = write
    for kind in ("request", "response", "approval"):
        report.counts[kind] = Counter(w.outcome for w in by_kind[kind].values())
        if not report.counts[kind]["ack"]:  # a gate or a changed page turned this kind of write into reads
            report.errors.append(f"no {kind} was acknowledged: the load did not exercise that write")
    engine = create_engine(url)
    with engine.connect() as conn:
        _check_tokens(report, "request", by_kind["request"], _found(
            conn, "SELECT id, title_th, title_en FROM collab_requests "
                  "WHERE title_th LIKE '%LT-%' OR title_en LIKE '%LT-%'"))
        _check_tokens(report, "response", by_kind["response"], _found(
            conn, "SELECT response_id, body FROM collab_messages WHERE body LIKE '%LT-%'"))
        _check_approvals(report, conn, by_kind["approval"])
    engine.dispose()
    return report
