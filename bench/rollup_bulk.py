"""Results roll-up under a bulk change: python -m bench.rollup_bulk --help.

In one transaction, every approved membership of N firms is ended in the fiscal year it was approved (so
each firm's kept keys go, as when a coordinator's import or a bulk end is undone), on the database `make
bench` built (BENCH_PG_DB, default portal_bench; --url for another). The refresh that committing runs
first (rollup._refresh_noted_firms) is timed as a whole and per statement kind, then the transaction is
rolled back: the database is left as it was, and runs can be repeated. Prints one line per case:

    firms=… memberships_ended=… keys_before=… refresh_ms=… delete_ms=… longest_sql=…
"""
import argparse
import random
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

from bench.directory import existing_database, make_app  # noqa: E402
from portal.admin import rollup  # noqa: E402
from portal.admin.models import ResultFirmKey  # noqa: E402
from portal.clusters.models import Membership, MembershipStatus  # noqa: E402
from portal.extensions import db  # noqa: E402


def end_in_their_first_year(firm_ids) -> int:
    """End every approved membership of these firms in its own fiscal year; the number ended."""
    memberships = db.session.scalars(select(Membership).where(
        Membership.firm_id.in_(firm_ids), Membership.status == MembershipStatus.APPROVED)).all()
    for membership in memberships:
        membership.status = MembershipStatus.LEFT
        membership.ended_at = datetime(membership.fiscal_year - 543, 3, 1, tzinfo=timezone.utc)
    db.session.flush()
    return len(memberships)


def measure(firms: int, seed: int, detail: bool = False) -> str:
    candidates = db.session.scalars(select(Membership.firm_id).where(
        Membership.status == MembershipStatus.APPROVED).distinct().order_by(Membership.firm_id)).all()
    firm_ids = sorted(random.Random(seed).sample(candidates, firms))
    keys = db.session.scalar(select(func.count()).select_from(ResultFirmKey).where(
        ResultFirmKey.firm_id.in_(firm_ids)))
    ended = end_in_their_first_year(firm_ids)
    spent, longest, started = Counter(), [0], {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()
        longest[0] = max(longest[0], len(statement))

    def after(conn, cursor, statement, parameters, context, executemany):
        kind = " ".join(statement.split()[:3]).lower()
        spent[kind] += time.perf_counter() - started.pop(id(cursor))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    t0 = time.perf_counter()
    error = ""
    try:
        rollup._refresh_noted_firms(db.session)  # what committing runs first
    except Exception as exc:  # the failure is the measurement (stack depth before the fix)
        error = f" error={str(exc).splitlines()[0][:90]!r}"
    total = time.perf_counter() - t0
    event.remove(db.engine, "before_cursor_execute", before)
    event.remove(db.engine, "after_cursor_execute", after)
    db.session.rollback()
    delete = sum(seconds for kind, seconds in spent.items() if kind.startswith("delete from result_firm_keys"))
    kinds = " ".join(f"[{kind}]={seconds * 1000:.0f}" for kind, seconds in spent.most_common())
    return (f"firms={firms} memberships_ended={ended} keys_before={keys} refresh_ms={total * 1000:.0f} "
            f"delete_ms={delete * 1000:.0f} longest_sql={longest[0]}{error}" + (f"\n  {kinds}" if detail else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="database URL (default: the PostgreSQL bench database)")
    parser.add_argument("--firms", type=int, nargs="+", default=[300, 1500])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--detail", action="store_true", help="milliseconds per kind of statement too")
    args = parser.parse_args()
    app = make_app(args.url or existing_database("postgresql"))
    with app.app_context():
        for firms in args.firms:
            for run in range(args.repeat):
                print(measure(firms, seed=run, detail=args.detail), flush=True)


if __name__ == "__main__":
    main()
