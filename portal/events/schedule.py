"""The business-matching schedule: which accepted meeting request meets in which slot at which table.

Pure and DB-independent: the event services build a `Problem` from their rows, call `solve()` (OR-Tools
CP-SAT) or `greedy()`, and store the `Result`. Ids (slots, tables, firms, requests) are any hashable values.

Hard rules: a firm is in at most one meeting per slot, only in slots it is available; at most one meeting
per table per slot; a firm has at most its `max_meetings`; pinned meetings stay exactly where they are pinned.
Aims, in this order: as many meetings as possible; then as few idle gaps as possible. A gap is one slot in
which a firm is available but has no meeting, lying between two of its meetings in the same session (a slot
the firm is not available in is its own time, not idle waiting).

Every request left out gets a reason, a stable code the UI translates (`UNSCHEDULED_REASONS`); it says what
stops the meeting from being added to *this* schedule (a full agenda, busy firms, full tables), which is
what an organiser can act on. A pin that breaks a hard rule raises `PinConflict` (codes: `PIN_REASONS`).
"""
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

# Why a request was not scheduled, most fundamental first (the first that applies is given).
UNSCHEDULED_REASONS = {
    "no_common_slot": "the two firms have no available slot in common",
    "firm_limit": "one of the two firms already has its maximum number of meetings",
    "firms_busy": "in every slot both firms are available, one of them already has another meeting",
    "no_table": "in the slots where both firms are free, every table is taken",
}
# Why a pin was refused.
PIN_REASONS = {
    "unknown_request": "the pinned request is not in the problem",
    "unknown_slot": "the pinned slot is not in the problem",
    "unknown_table": "the pinned table is not in the problem",
    "firm_unavailable": "a firm of the meeting is not available in the pinned slot",
    "firm_busy": "a firm of the meeting has another pinned meeting in that slot",
    "table_taken": "another pinned meeting has that table in that slot",
    "firm_limit": "the pins give a firm more meetings than its maximum",
}


@dataclass(frozen=True)
class Slot:
    """One meeting slot; `session` (a day or half-day) bounds the gaps: none are counted across sessions."""
    id: Hashable
    session: Hashable = 0


@dataclass(frozen=True)
class FirmAvail:
    """The slots a firm is available in, and its maximum number of meetings (None: no maximum)."""
    available_slots: frozenset
    max_meetings: int | None = None


@dataclass(frozen=True)
class Req:
    """An accepted meeting request between two different firms."""
    id: Hashable
    firm_a: Hashable
    firm_b: Hashable


@dataclass
class Problem:
    """Slots in time order, tables in preference order, firms, accepted requests, and pins
    {request id: (slot id, table id)} that every schedule keeps."""
    slots: list[Slot]
    tables: list
    firms: dict[Hashable, FirmAvail]
    requests: list[Req]
    pins: dict = field(default_factory=dict)
    time_limit_s: float = 10.0


@dataclass
class Result:
    """A schedule. `bound`: the solver's proven upper bound on meetings (pins included; meetings == bound means
    no schedule has more); `gaps_bound`: its proven lower bound on gaps when the schedule has `bound` meetings;
    both None when unknown. `status`: 'optimal' (both aims proven best), 'feasible' (the best found within the
    time limit; the greedy's schedule, with no bound, if the solver found none in time) or 'greedy'."""
    assignments: dict  # request id -> (slot id, table id)
    unscheduled: dict  # request id -> reason code (UNSCHEDULED_REASONS)
    status: str
    meetings: int
    gaps: int
    bound: int | None
    gaps_bound: int | None
    seconds: float


class ProblemError(ValueError):
    """The problem itself is malformed (duplicate or unknown ids, a request of a firm with itself)."""


class PinConflict(ValueError):
    """A pin breaks a hard rule. `reason` is a code of PIN_REASONS, `request_id` the pin refused, `other` the
    pinned request it clashes with (or None) and `firm` the firm concerned (or None)."""

    def __init__(self, reason: str, request_id, other=None, firm=None):
        super().__init__(f"pin of request {request_id!r}: {PIN_REASONS[reason]}"
                         + (f" (request {other!r})" if other is not None else "")
                         + (f" (firm {firm!r})" if firm is not None else ""))
        self.reason = reason
        self.request_id = request_id
        self.other = other
        self.firm = firm


class _Book:
    """Who meets when: the slot of each meeting, each firm's busy slots and count, each slot's load."""

    def __init__(self, problem: Problem):
        self.p = problem
        self.slot_of: dict = {}
        self.busy: dict = defaultdict(dict)   # firm -> {slot: request id}
        self.load: dict = defaultdict(int)    # slot -> meetings
        self.order = {s.id: i for i, s in enumerate(problem.slots)}

    def remaining(self, firm) -> float:
        cap = self.p.firms[firm].max_meetings
        return float("inf") if cap is None else cap - len(self.busy[firm])

    def fits(self, req: Req, slot) -> bool:
        return (self.load[slot] < len(self.p.tables)
                and all(slot in self.p.firms[f].available_slots and slot not in self.busy[f]
                        and self.remaining(f) > 0 for f in (req.firm_a, req.firm_b)))

    def place(self, req: Req, slot) -> None:
        self.slot_of[req.id] = slot
        self.busy[req.firm_a][slot] = self.busy[req.firm_b][slot] = req.id
        self.load[slot] += 1

    def common_slots(self, req: Req) -> list:
        a, b = self.p.firms[req.firm_a].available_slots, self.p.firms[req.firm_b].available_slots
        return [s.id for s in self.p.slots if s.id in a and s.id in b]

    def fill(self, requests: Iterable[Req]) -> None:
        """Put each request in the earliest slot it still fits in (the greedy, and a repair after the solver)."""
        for req in requests:
            if req.id not in self.slot_of:
                slot = next((s for s in self.common_slots(req) if self.fits(req, s)), None)
                if slot is not None:
                    self.place(req, slot)

    def reason(self, req: Req) -> str:
        """Why `req` cannot be added to this schedule: the first code of UNSCHEDULED_REASONS that applies."""
        common = self.common_slots(req)
        if not common:
            return "no_common_slot"
        if self.remaining(req.firm_a) <= 0 or self.remaining(req.firm_b) <= 0:
            return "firm_limit"
        if any(s not in self.busy[req.firm_a] and s not in self.busy[req.firm_b] for s in common):
            return "no_table"
        return "firms_busy"


def _check(problem: Problem) -> None:
    def unique(ids, what):
        ids = list(ids)
        if len(set(ids)) != len(ids):
            raise ProblemError(f"duplicate {what} ids")

    unique((s.id for s in problem.slots), "slot")
    unique(problem.tables, "table")
    unique((r.id for r in problem.requests), "request")
    for req in problem.requests:
        if req.firm_a == req.firm_b:
            raise ProblemError(f"request {req.id!r} is between a firm and itself")
        for firm in (req.firm_a, req.firm_b):
            if firm not in problem.firms:
                raise ProblemError(f"request {req.id!r} names unknown firm {firm!r}")


def check_pins(problem: Problem) -> None:
    """Check the problem and its pins against the hard rules (before an organiser's pin or move is saved).

    :raises PinConflict: the first pin (in request order) that breaks a rule.
    :raises ProblemError: the problem is malformed.
    """
    _pinned(problem)


def _pinned(problem: Problem) -> _Book:
    """The book of the pinned meetings, once the problem and its pins are checked."""
    _check(problem)
    book = _Book(problem)
    requests = {r.id: r for r in problem.requests}
    tables = set(problem.tables)
    table_at: dict = {}
    for rid in problem.pins:
        if rid not in requests:
            raise PinConflict("unknown_request", rid)
    for req in problem.requests:
        if req.id not in problem.pins:
            continue
        rid, (slot, table) = req.id, problem.pins[req.id]
        if slot not in book.order:
            raise PinConflict("unknown_slot", rid)
        if table not in tables:
            raise PinConflict("unknown_table", rid)
        if (slot, table) in table_at:
            raise PinConflict("table_taken", rid, other=table_at[slot, table])
        for firm in (req.firm_a, req.firm_b):
            if slot not in problem.firms[firm].available_slots:
                raise PinConflict("firm_unavailable", rid, firm=firm)
            if slot in book.busy[firm]:
                raise PinConflict("firm_busy", rid, other=book.busy[firm][slot], firm=firm)
            if book.remaining(firm) <= 0:
                raise PinConflict("firm_limit", rid, firm=firm)
        book.place(req, slot)
        table_at[slot, table] = rid
    return book


def _sessions(problem: Problem) -> dict:
    out = defaultdict(list)
    for s in problem.slots:
        out[s.session].append(s.id)
    return out


def count_gaps(problem: Problem, slot_of: dict) -> int:
    """Idle slots summed over firms: available, no meeting, between two of the firm's meetings in one session."""
    busy = defaultdict(set)
    reqs = {r.id: r for r in problem.requests}
    for rid, slot in slot_of.items():
        busy[reqs[rid].firm_a].add(slot)
        busy[reqs[rid].firm_b].add(slot)
    gaps = 0
    for firm, slots in busy.items():
        avail = problem.firms[firm].available_slots
        for session in _sessions(problem).values():
            marks = [i for i, s in enumerate(session) if s in slots]
            if marks:
                gaps += sum(1 for s in session[marks[0]:marks[-1] + 1] if s in avail and s not in slots)
    return gaps


def _assign_tables(problem: Problem, slot_of: dict) -> dict:
    """Tables for the meetings: pins keep theirs; a meeting takes the table one of its firms sat at for its
    previous meeting of the session when it is free (fewer walks across the hall), else the first free table;
    all in a fixed order."""
    reqs = {r.id: r for r in problem.requests}
    index = {r.id: i for i, r in enumerate(problem.requests)}
    by_slot = defaultdict(list)
    for rid, slot in slot_of.items():
        by_slot[slot].append(rid)
    out, last_table = {}, {}
    for session in _sessions(problem).values():
        last_table.clear()
        for slot in session:
            pinned = {problem.pins[rid][1] for rid in by_slot[slot] if rid in problem.pins}
            free = [t for t in problem.tables if t not in pinned]
            waiting = []
            for rid in sorted(by_slot[slot], key=index.get):
                if rid in problem.pins:
                    out[rid] = tuple(problem.pins[rid])
                    continue
                req = reqs[rid]
                liked = [last_table.get(f) for f in (req.firm_a, req.firm_b)]
                table = next((t for t in liked if t in free), None)
                if table is None:
                    waiting.append(rid)
                else:
                    free.remove(table)
                    out[rid] = (slot, table)
            for rid in waiting:
                out[rid] = (slot, free.pop(0))
            for rid in by_slot[slot]:
                last_table[reqs[rid].firm_a] = last_table[reqs[rid].firm_b] = out[rid][1]
    return out


def _result(problem: Problem, book: _Book, status: str, bound, gaps_bound, started: float) -> Result:
    book.fill(problem.requests)  # a schedule cut short by the time limit may still take more
    unscheduled = {r.id: book.reason(r) for r in problem.requests if r.id not in book.slot_of}
    return Result(assignments=_assign_tables(problem, book.slot_of), unscheduled=unscheduled, status=status,
                  meetings=len(book.slot_of), gaps=count_gaps(problem, book.slot_of), bound=bound,
                  gaps_bound=gaps_bound, seconds=round(time.perf_counter() - started, 3))


def greedy(problem: Problem) -> Result:
    """The baseline: requests with the fewest common slots first, each in its earliest free slot, first free table.

    :raises PinConflict: a pin breaks a hard rule.
    """
    started = time.perf_counter()
    book = _pinned(problem)
    index = {r.id: i for i, r in enumerate(problem.requests)}
    book.fill(sorted(problem.requests, key=lambda r: (len(book.common_slots(r)), index[r.id])))
    return _result(problem, book, "greedy", None, None, started)


def _gap_objective(model, problem: Problem, book: _Book, x_at: dict, chosen: set, firms=None, sessions=None):
    """The gaps of a schedule as a linear expression, hinted with `chosen` ({(request, slot)}): per firm and
    session, over its available slots numbered 0..n-1, `first` and `last` hold every meeting (those already in
    `book` and those x_at may add) between them, and its gaps are last - first + 1 - meetings (last = first - 1
    when it has none)."""
    from ortools.sat.python.cp_model import LinearExpr

    terms, fixed = [], 0
    for firm in firms or problem.firms:
        for session in sessions or _sessions(problem).values():
            seq = [s for s in session if s in problem.firms[firm].available_slots]
            booked = [i for i, s in enumerate(seq) if s in book.busy[firm]]
            held = [(i, rid, var) for i, s in enumerate(seq) for rid, var in x_at.get((firm, s), {}).items()]
            if len(booked) + len({i for i, _r, _v in held}) < 2:
                continue
            if not held:
                fixed += booked[-1] - booked[0] + 1 - len(booked)
                continue
            n = len(seq)
            on = [i for i, rid, _v in held if (rid, seq[i]) in chosen] + booked
            first = model.new_int_var(0, min(booked, default=n), "")
            last = model.new_int_var(max(booked, default=-1), n - 1, "")
            model.add(last >= first - 1)
            for i, _rid, var in held:
                model.add(first <= i).only_enforce_if(var)
                model.add(last >= i).only_enforce_if(var)
            model.add_hint(first, min(on, default=0))
            model.add_hint(last, max(on, default=-1))
            terms.append(last - first + 1 - len(booked) - LinearExpr.sum([v for _i, _r, v in held]))
    return LinearExpr.sum(terms) + fixed


def _meeting_model(problem: Problem, book: _Book, hint: Result):
    """The first aim's model: x[request, slot] for the slots both firms are free in, hinted with `hint`."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x, x_at = {}, defaultdict(dict)  # (request, slot) -> var; (firm, slot) -> {request: var}
    for req in problem.requests:
        if req.id in problem.pins or min(book.remaining(req.firm_a), book.remaining(req.firm_b)) <= 0:
            continue
        for slot in book.common_slots(req):
            free = all(slot not in book.busy[f] for f in (req.firm_a, req.firm_b))
            if free and book.load[slot] < len(problem.tables):
                var = x[req.id, slot] = model.new_bool_var("")
                x_at[req.firm_a, slot][req.id] = x_at[req.firm_b, slot][req.id] = var
                model.add_hint(var, hint.assignments.get(req.id, (None,))[0] == slot)
    per_request, per_slot, per_firm = defaultdict(list), defaultdict(list), defaultdict(list)
    for (rid, slot), var in x.items():
        per_request[rid].append(var)
        per_slot[slot].append(var)
    for (firm, _slot), held in x_at.items():
        per_firm[firm].extend(held.values())
        model.add_at_most_one(held.values())
    for held in per_request.values():
        model.add_at_most_one(held)
    for slot, held in per_slot.items():
        model.add(cp_model.LinearExpr.sum(held) <= len(problem.tables) - book.load[slot])
    for firm, held in per_firm.items():
        if book.remaining(firm) < len(held):
            model.add(cp_model.LinearExpr.sum(held) <= int(book.remaining(firm)))
    return model, x, x_at


def _run(model, seconds: float, workers: int, seed: int, deterministic: bool):
    """Solve `model` for at most `seconds`; (solver, found a solution, proved it optimal)."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.05)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if deterministic:  # the same work in the same order whatever the machine's load; stopped by work done, not time
        solver.parameters.interleave_search = True
        solver.parameters.max_deterministic_time = max(seconds * DETERMINISTIC_WORK_PER_SECOND, 0.01)
    status = solver.solve(model)
    return solver, status in (cp_model.OPTIMAL, cp_model.FEASIBLE), status == cp_model.OPTIMAL


# Tuned on `make bench-events` (2 cores, shared): the first step's share of the time limit and the second's of
# what is left, the polish getting the rest (0.3 and 0.3: 960 meetings and about 150 gaps; 0.45 and 0.45: 953-960
# and 220-300; 0.2 and 0.25: 947); the polish's window (slots re-slotted at once: 2 beat 3 and 4 by far, more
# rounds in the time); and, in deterministic mode, the polish's rounds and CP-SAT's work units
# ("deterministic time") per second of the limit, so that the work is fixed and fits in it on such a machine.
SHARES = (0.3, 0.3)
WINDOW = 2
WINDOWS_PER_SECOND = 8
DETERMINISTIC_WORK_PER_SECOND = 0.12


def _gap_weight(problem: Problem) -> int:
    """More than the gaps any schedule can have, so that one meeting more outweighs every gap in W*meetings - gaps."""
    sessions = _sessions(problem).values()
    return 1 + sum(max(0, len(firm.available_slots.intersection(session)) - 2)
                   for firm in problem.firms.values() for session in sessions)


def _windows(problem: Problem, chosen: set, seconds: float, seed: int, rounds: int | None) -> set:
    """More meetings, then fewer gaps, by re-slotting again and again the meetings of a few slots of one session
    among those slots, and adding there requests left out, the rest of the schedule fixed: each round a small
    model solved exactly (W * added - gaps), never worse than before. A number of `rounds` makes it
    deterministic (`seconds` is then only a cap); None: rounds until `seconds`."""
    import random

    from ortools.sat.python import cp_model

    deadline = time.perf_counter() + seconds
    deterministic, rounds = rounds is not None, -1 if rounds is None else rounds
    rng = random.Random(seed)  # nosec B311  # which windows to polish, reproducible from the seed
    reqs = {r.id: r for r in problem.requests}
    index = {r.id: i for i, r in enumerate(problem.requests)}
    slot_of = dict(sorted(chosen, key=lambda key: index[key[0]]))  # in a fixed order: string hashes vary by process
    sessions = [s for s in _sessions(problem).values() if len(s) > 1]
    weight = _gap_weight(problem)
    while sessions and rounds != 0 and time.perf_counter() < deadline - 0.05:
        rounds -= 1
        session = rng.choice(sessions)
        window = set(rng.sample(session, min(len(session), WINDOW)))
        fixed = _Book(problem)
        for rid in problem.pins:
            fixed.place(reqs[rid], problem.pins[rid][0])
        movable, moving = [], defaultdict(int)  # the requests in the window; each firm's meetings among them
        for rid, slot in slot_of.items():
            if slot in window:
                movable.append(rid)
                moving[reqs[rid].firm_a] += 1
                moving[reqs[rid].firm_b] += 1
            else:
                fixed.place(reqs[rid], slot)
        left_out = [r.id for r in problem.requests if r.id not in slot_of and r.id not in problem.pins
                    and all(fixed.remaining(f) > moving[f] for f in (r.firm_a, r.firm_b))]
        model = cp_model.CpModel()
        x, x_at, per_slot, added = {}, defaultdict(dict), defaultdict(list), defaultdict(list)
        for rid in movable + left_out:
            req = reqs[rid]
            options = [s for s in fixed.common_slots(req) if s in window and s not in fixed.busy[req.firm_a]
                       and s not in fixed.busy[req.firm_b]]
            for slot in options:
                var = x[rid, slot] = model.new_bool_var("")
                x_at[req.firm_a, slot][rid] = x_at[req.firm_b, slot][rid] = var
                per_slot[slot].append(var)
                model.add_hint(var, slot_of.get(rid) == slot)
                if rid not in slot_of:
                    added[req.firm_a].append(var)
                    added[req.firm_b].append(var)
            if rid in slot_of:
                model.add_exactly_one([x[rid, slot] for slot in options])
            elif options:
                model.add_at_most_one([x[rid, slot] for slot in options])
        for held in x_at.values():
            model.add_at_most_one(held.values())
        for slot, held in per_slot.items():
            model.add(cp_model.LinearExpr.sum(held) <= len(problem.tables) - fixed.load[slot])
        for firm, held in added.items():
            model.add(cp_model.LinearExpr.sum(held) <= min(len(held), fixed.remaining(firm) - moving[firm]))
        firms = list(dict.fromkeys(f for rid, _slot in x for f in (reqs[rid].firm_a, reqs[rid].firm_b)))
        current = {(rid, slot_of[rid]) for rid in movable}
        gaps = _gap_objective(model, problem, fixed, x_at, current, firms=firms, sessions=[session])
        new = [var for (rid, _slot), var in x.items() if rid not in slot_of]
        model.maximize(weight * cp_model.LinearExpr.sum(new) - gaps)
        seconds = 1.0 if deterministic else min(1.0, deadline - time.perf_counter())  # the same work each round
        solver, found, _proven = _run(model, seconds, 1, rng.randrange(1 << 30), deterministic)
        if found:
            for rid, slot in x:
                if solver.boolean_value(x[rid, slot]):
                    slot_of[rid] = slot
    return set(slot_of.items())


def solve(problem: Problem, *, workers: int = 2, seed: int = 0, deterministic: bool = False) -> Result:
    """The best schedule CP-SAT finds within `problem.time_limit_s`: most meetings first, then fewest gaps.

    Three steps share the time: most meetings (which proves `Result.bound`); then W*meetings - gaps with W above
    any possible number of gaps (so lexicographic), from there; then, unless that was proven optimal, a polish
    that re-slots the meetings of two slots at a time and adds requests left out (`_windows`). The greedy
    schedule is the first hint.
    `deterministic`: the same problem always gives the same schedule (CP-SAT's interleaved search, stopped by
    work done; a fixed number of polish rounds): right for small events, which it solves to optimality in a
    fraction of a second, but far weaker on large ones than the default parallel search, whose result under a
    time limit may differ from run to run (`make bench-events`: 946 meetings against 945-960).

    :raises PinConflict: a pin breaks a hard rule.
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    deadline = started + problem.time_limit_s * 0.98  # the rest builds the result
    book = _pinned(problem)
    baseline = greedy(problem)
    model, x, x_at = _meeting_model(problem, book, baseline)
    meetings = cp_model.LinearExpr.sum(list(x.values()))
    model.maximize(meetings)
    options = (workers, seed, deterministic)
    solver, found, proven = _run(model, problem.time_limit_s * SHARES[0], *options)
    if not found:  # nothing within the time: the greedy stands
        baseline.status, baseline.seconds = "feasible", round(time.perf_counter() - started, 3)
        return baseline
    chosen = {key for key, var in x.items() if solver.boolean_value(var)}
    bound = int(solver.best_objective_bound + 0.5)

    weight = _gap_weight(problem)
    model.clear_hints()
    for key, var in x.items():
        model.add_hint(var, key in chosen)
    model.add(meetings >= len(chosen))
    model.maximize(weight * meetings - _gap_objective(model, problem, book, x_at, chosen))
    left = problem.time_limit_s * (1 - SHARES[0]) if deterministic else deadline - time.perf_counter()
    solver, found, proven = _run(model, left * SHARES[1], *options)
    gaps_bound = None
    if found:
        chosen = {key for key, var in x.items() if solver.boolean_value(var)}
        ceiling = solver.best_objective_bound
        bound = min(bound, int((ceiling + weight - 1) // weight))
        if bound == len(chosen):  # with that many meetings, W*meetings - gaps <= ceiling
            gaps_bound = max(0, int(weight * bound - ceiling))
    rounds = int(left * (1 - SHARES[1]) * WINDOWS_PER_SECOND) if deterministic else None
    if not proven and (deterministic or deadline - time.perf_counter() > 0.5):
        chosen = _windows(problem, chosen, deadline - time.perf_counter(), seed, rounds)
    reqs = {r.id: r for r in problem.requests}
    for rid, slot in sorted(chosen, key=lambda key: book.order[key[1]]):
        book.place(reqs[rid], slot)
    result = _result(problem, book, "feasible", bound + len(problem.pins), gaps_bound, started)
    if proven or (result.meetings, result.gaps) == (result.bound, result.gaps_bound):  # the bounds prove it too
        result.status = "optimal"
    return result


def validate(problem: Problem, result: Result) -> list[str]:
    """Every hard rule checked on the result alone, without the solver: [] when it holds, else what breaks."""
    errors = []
    reqs = {r.id: r for r in problem.requests}
    slots, tables = {s.id for s in problem.slots}, set(problem.tables)
    if set(result.assignments) & set(result.unscheduled):
        errors.append("a request is both scheduled and unscheduled")
    if set(result.assignments) | set(result.unscheduled) != set(reqs):
        errors.append("scheduled and unscheduled requests are not exactly the problem's requests")
    firm_at, table_at, count = {}, {}, defaultdict(int)
    for rid, (slot, table) in result.assignments.items():
        req = reqs.get(rid)
        if req is None or slot not in slots or table not in tables:
            errors.append(f"request {rid!r}: unknown request, slot or table")
            continue
        if (slot, table) in table_at:
            errors.append(f"table {table!r} in slot {slot!r}: requests {table_at[slot, table]!r} and {rid!r}")
        table_at[slot, table] = rid
        for firm in (req.firm_a, req.firm_b):
            count[firm] += 1
            if slot not in problem.firms[firm].available_slots:
                errors.append(f"request {rid!r}: firm {firm!r} is not available in slot {slot!r}")
            if (firm, slot) in firm_at:
                errors.append(f"firm {firm!r} in slot {slot!r}: requests {firm_at[firm, slot]!r} and {rid!r}")
            firm_at[firm, slot] = rid
    for firm, n in count.items():
        cap = problem.firms[firm].max_meetings
        if cap is not None and n > cap:
            errors.append(f"firm {firm!r}: {n} meetings, maximum {cap}")
    for rid, place in problem.pins.items():
        if result.assignments.get(rid) != tuple(place):
            errors.append(f"request {rid!r}: pinned to {place!r}, scheduled {result.assignments.get(rid)!r}")
    for rid, reason in result.unscheduled.items():
        req = reqs.get(rid)
        if req is None:
            continue
        common = problem.firms[req.firm_a].available_slots & problem.firms[req.firm_b].available_slots & slots
        full = [f for f in (req.firm_a, req.firm_b) if problem.firms[f].max_meetings is not None
                and count[f] >= problem.firms[f].max_meetings]
        honest = {"no_common_slot": not common, "firm_limit": bool(full),
                  "firms_busy": all((req.firm_a, s) in firm_at or (req.firm_b, s) in firm_at for s in common),
                  "no_table": all((s, t) in table_at for s in common if (req.firm_a, s) not in firm_at
                                  and (req.firm_b, s) not in firm_at for t in tables)}
        if not honest.get(reason, False):
            errors.append(f"request {rid!r}: reason {reason!r} does not hold")
    if result.meetings != len(result.assignments):
        errors.append(f"meetings is {result.meetings}, but {len(result.assignments)} are scheduled")
    if result.gaps != count_gaps(problem, {rid: slot for rid, (slot, _table) in result.assignments.items()}):
        errors.append(f"gaps is {result.gaps}, not what the schedule has")
    if result.bound is not None and result.bound < result.meetings:
        errors.append(f"bound {result.bound} is below the {result.meetings} meetings scheduled")
    return errors
