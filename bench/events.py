"""Matching-day scheduling benchmark: `make bench-events` (python -m bench.events --help).

A synthetic, seeded event (by default 300 firms, 1,500 accepted requests, 16 slots in two sessions of 8,
60 tables) is scheduled by the greedy baseline and by CP-SAT (`portal.events.schedule`); both schedules are
checked against every hard rule by `validate()`. Prints meetings, gaps, seconds, the solver's proven bound
on meetings and status. Exits non-zero if a schedule breaks a rule, or if CP-SAT schedules fewer meetings
than the greedy or has as many gaps or more.
"""
import argparse
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.events.schedule import FirmAvail, Problem, Req, Slot, greedy, solve, validate  # noqa: E402


def synthetic_event(firms: int, requests: int, sessions: int, per_session: int, tables: int, seed: int) -> Problem:
    """Most firms stay the whole event; some come for one session (half a day), some miss a slot or two.
    A few firms (big buyers) are asked far more often than the rest; each firm takes 10 to 12 meetings."""
    rng = random.Random(seed)  # nosec B311  # a synthetic event, reproducible from the seed
    slots = [Slot(f"s{d}-{i}", d) for d in range(sessions) for i in range(per_session)]
    by_session = [[s.id for s in slots if s.session == d] for d in range(sessions)]
    every = {s.id for s in slots}
    avail = {}
    for f in range(firms):
        roll = rng.random()
        if roll < 0.70:
            got = set(every)
        elif roll < 0.85:
            got = set(rng.choice(by_session))
        else:
            got = every - set(rng.sample(sorted(every), rng.randint(1, 3)))
        avail[f] = FirmAvail(frozenset(got), rng.randint(10, 12))
    weight = [rng.paretovariate(1.5) for _ in range(firms)]
    pairs = set()
    while len(pairs) < requests:
        a = rng.randrange(firms)
        b = rng.choices(range(firms), weight)[0]
        if a != b and (b, a) not in pairs:
            pairs.add((a, b))
    reqs = [Req(n, a, b) for n, (a, b) in enumerate(sorted(pairs))]
    return Problem(slots=slots, tables=[f"T{n + 1}" for n in range(tables)], firms=avail, requests=reqs)


def line(name, result, problem) -> bool:
    errors = validate(problem, result)
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(Counter(result.unscheduled.values()).items()))
    bound = "-" if result.bound is None else result.bound
    gaps_bound = "-" if result.gaps_bound is None else result.gaps_bound
    print(f"{name:8} meetings {result.meetings:5}  bound {bound!s:>5}  gaps {result.gaps:4}  "
          f"gaps bound {gaps_bound!s:>4}  {result.seconds:6.2f} s  {result.status:8}  "
          f"valid: {'yes' if not errors else 'NO'}  unscheduled: {reasons}")
    for error in errors[:10]:
        print("   ", error)
    return not errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=300)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--slots", type=int, default=8, help="slots per session")
    parser.add_argument("--tables", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60.0, help="CP-SAT's time limit")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--deterministic", action="store_true", help="the solver's reproducible mode")
    args = parser.parse_args()

    problem = synthetic_event(args.firms, args.requests, args.sessions, args.slots, args.tables, args.seed)
    problem.time_limit_s = args.seconds
    print(f"{args.firms} firms, {args.requests} accepted requests, {args.sessions}x{args.slots} slots, "
          f"{args.tables} tables (capacity {args.sessions * args.slots * args.tables} meetings), seed {args.seed}")
    base = greedy(problem)
    ok = line("greedy", base, problem)
    best = solve(problem, workers=args.workers, deterministic=args.deterministic)
    ok = line("CP-SAT", best, problem) and ok
    if best.meetings < base.meetings or best.gaps >= base.gaps > 0:
        print("CP-SAT did not beat the greedy (at least as many meetings and fewer gaps)")
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
