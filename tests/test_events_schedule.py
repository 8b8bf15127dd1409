"""The matching-day scheduler: small hand-built events whose best schedules are known, then properties of a
larger synthetic one."""
import dataclasses
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench.events import synthetic_event
from portal.events.schedule import (
    PIN_REASONS,
    UNSCHEDULED_REASONS,
    FirmAvail,
    PinConflict,
    Problem,
    ProblemError,
    Req,
    Slot,
    _pinned,
    _result,
    _windows,
    check_pins,
    count_gaps,
    greedy,
    solve,
    validate,
)


def event(firms, requests, slots=4, tables=1, pins=None, sessions=1):
    """`firms`: {name: available slot numbers, or (slots, max meetings)}; `requests`: ["A-B", ...] named r1, r2 ...
    Slots are numbered from 1, split evenly into `sessions`; tables are T1, T2 ..."""
    per = slots // sessions
    avail = {}
    for name, spec in firms.items():
        got, cap = spec if isinstance(spec, tuple) else (spec, None)
        avail[name] = FirmAvail(frozenset(range(1, slots + 1) if got == "all" else got), cap)
    return Problem(slots=[Slot(n, (n - 1) // per) for n in range(1, slots + 1)],
                   tables=[f"T{n}" for n in range(1, tables + 1)], firms=avail,
                   requests=[Req(f"r{n}", *pair.split("-")) for n, pair in enumerate(requests, 1)],
                   pins=pins or {}, time_limit_s=2.0)


ROOT = Path(__file__).resolve().parent.parent
SOLVERS = [pytest.param(solve, id="cpsat"), pytest.param(greedy, id="greedy")]


def slots_of(result):
    return {rid: slot for rid, (slot, _table) in result.assignments.items()}


@pytest.mark.parametrize("run", SOLVERS)
@pytest.mark.parametrize(("case", "problem", "meetings", "reasons"), [
    # the two requests of each case but the first are alike: either may be the one scheduled
    ("firms share no slot", event({"A": {1, 2}, "B": {3, 4}, "C": "all"}, ["A-B", "A-C"]), 1, ["no_common_slot"]),
    ("a firm's maximum", event({"A": ("all", 1), "B": "all", "C": "all"}, ["A-B", "A-C"], tables=2),
     1, ["firm_limit"]),
    ("tables full", event({"A": {1}, "B": {1}, "C": {1}, "D": {1}}, ["A-B", "C-D"]), 1, ["no_table"]),
    ("firms busy", event({"A": {1}, "B": {1}, "C": {1}}, ["A-B", "A-C"], tables=2), 1, ["firms_busy"]),
    ("everything fits", event({"A": "all", "B": "all", "C": "all"}, ["A-B", "B-C", "A-C"], slots=3), 3, []),
])
def test_who_meets_and_why_not(run, case, problem, meetings, reasons):
    result = run(problem)
    assert validate(problem, result) == []
    assert (result.meetings, sorted(result.unscheduled.values())) == (meetings, reasons), case
    assert set(result.unscheduled.values()) <= set(UNSCHEDULED_REASONS)


@pytest.mark.parametrize("run", SOLVERS)
def test_availability_is_respected(run):
    problem = event({"A": {2, 4}, "B": {1, 2, 3, 4}, "C": {3, 4}, "D": {1, 3}}, ["A-B", "A-C", "B-C", "B-D", "C-D"])
    result = run(problem)
    assert validate(problem, result) == []
    for rid, slot in slots_of(result).items():
        req = next(r for r in problem.requests if r.id == rid)
        assert slot in problem.firms[req.firm_a].available_slots & problem.firms[req.firm_b].available_slots


def test_gaps_are_avoided_when_as_many_meetings_fit_without():
    # A meets C only in slot 3 and B in slot 1 or 4: both ways give two meetings; 3 and 4 leave A no idle slot.
    problem = event({"A": "all", "B": {1, 4}, "C": {3}}, ["A-B", "A-C"])
    best, base = solve(problem), greedy(problem)
    assert validate(problem, best) == [] and validate(problem, base) == []
    assert (best.meetings, best.gaps, slots_of(best)) == (2, 0, {"r1": 4, "r2": 3})
    assert (base.meetings, base.gaps) == (2, 1)  # the greedy takes the earliest slot, 1, and A waits in slot 2


def test_more_meetings_come_before_fewer_gaps():
    # A (at most 2 meetings) can meet B in 1 and C in 4 (two idle slots), or just one of them: two meetings win.
    problem = event({"A": ("all", 2), "B": {1}, "C": {4}}, ["A-B", "A-C"])
    result = solve(problem)
    assert (result.meetings, result.gaps, result.status) == (2, 2, "optimal")


def test_gaps_count_only_idle_available_slots_within_one_session():
    problem = event({"A": {1, 2, 4, 5, 6, 8}, "B": "all", "C": "all", "D": "all"}, ["A-B", "A-C", "A-D"],
                    slots=8, sessions=2)
    # sessions: slots 1-4 and 5-8; A is not available in 3 and 7, so waiting there is not idle time of the event
    assert count_gaps(problem, {"r1": 1, "r2": 5}) == 0          # one meeting in each session
    assert count_gaps(problem, {"r1": 1, "r2": 4}) == 1          # slot 2 idle; slot 3 is not A's
    assert count_gaps(problem, {"r1": 5, "r2": 8, "r3": 1}) == 1  # slot 6 idle; slot 7 is not A's


def test_the_solver_beats_a_greedy_trap_and_proves_it():
    # Greedy takes A-B first and so uses up both firms' only meeting; A-C and B-D would have given two.
    problem = event({"A": ("all", 1), "B": ("all", 1), "C": "all", "D": "all"}, ["A-B", "A-C", "B-D"], slots=2,
                    tables=2)
    base, best = greedy(problem), solve(problem)
    assert (base.meetings, base.unscheduled) == (1, {"r2": "firm_limit", "r3": "firm_limit"})
    assert (best.meetings, best.bound, best.gaps, best.gaps_bound, best.status) == (2, 2, 0, 0, "optimal")
    assert best.unscheduled == {"r1": "firm_limit"}
    assert base.status == "greedy" and base.bound is None


def test_a_bound_below_the_requests_is_proven_optimal():
    # Five firms in two slots with one table: at most two meetings, whatever the eight requests.
    problem = event({f: "all" for f in "ABCDE"}, ["A-B", "A-C", "B-C", "C-D", "D-E", "A-E", "B-D", "C-E"], slots=2)
    result = solve(problem)
    assert (result.meetings, result.bound, result.status) == (2, 2, "optimal")
    assert validate(problem, result) == []


@pytest.mark.parametrize("run", SOLVERS)
def test_pins_are_kept(run):
    problem = event({"A": "all", "B": "all", "C": "all"}, ["A-B", "A-C", "B-C"], tables=2,
                    pins={"r2": (3, "T2")})
    result = run(problem)
    assert validate(problem, result) == []
    assert result.assignments["r2"] == (3, "T2")
    assert result.meetings == 3


def test_a_pinned_table_is_not_given_to_another_meeting():
    problem = event({f: {1} for f in "ABCD"}, ["A-B", "C-D"], tables=2, pins={"r2": (1, "T1")})
    result = solve(problem)
    assert result.assignments == {"r2": (1, "T1"), "r1": (1, "T2")}


@pytest.mark.parametrize(("firms", "requests", "pins", "reason", "other"), [
    ({"A": {1}, "B": {2}}, ["A-B"], {"r1": (1, "T1")}, "firm_unavailable", None),
    ({"A": "all", "B": "all", "C": "all"}, ["A-B", "A-C"], {"r1": (1, "T1"), "r2": (1, "T2")}, "firm_busy", "r1"),
    ({f: "all" for f in "ABCD"}, ["A-B", "C-D"], {"r1": (1, "T1"), "r2": (1, "T1")}, "table_taken", "r1"),
    ({"A": ("all", 1), "B": "all", "C": "all"}, ["A-B", "A-C"], {"r1": (1, "T1"), "r2": (2, "T1")},
     "firm_limit", None),
    ({"A": "all", "B": "all"}, ["A-B"], {"r9": (1, "T1")}, "unknown_request", None),
    ({"A": "all", "B": "all"}, ["A-B"], {"r1": (9, "T1")}, "unknown_slot", None),
    ({"A": "all", "B": "all"}, ["A-B"], {"r1": (1, "T9")}, "unknown_table", None),
])
@pytest.mark.parametrize("run", [*SOLVERS, pytest.param(check_pins, id="check_pins")])
def test_a_pin_against_the_rules_is_refused(run, firms, requests, pins, reason, other):
    with pytest.raises(PinConflict) as caught:
        run(event(firms, requests, tables=2, pins=pins))
    assert (caught.value.reason, caught.value.other) == (reason, other)
    assert reason in PIN_REASONS and PIN_REASONS[reason] in str(caught.value)


@pytest.mark.parametrize("requests", [["A-A"], ["A-Z"]])
def test_a_malformed_problem_is_refused(requests):
    with pytest.raises(ProblemError):
        greedy(event({"A": "all"}, requests))


def test_meetings_keep_a_firms_table_from_one_slot_to_the_next():
    problem = event({"A": {1, 2}, "B": {1}, "C": {2}, "D": {1, 2}, "E": {1}}, ["D-E", "A-B", "A-C"], tables=2)
    result = solve(problem)
    assert result.meetings == 3
    assert result.assignments["r3"][1] == result.assignments["r2"][1]  # A stays at its table


def test_the_same_problem_gives_the_same_schedule():
    problem = event({f: "all" for f in "ABCDEF"}, ["A-B", "C-D", "E-F", "A-C", "B-E", "D-F", "A-F"], tables=2)
    first, second = solve(problem, deterministic=True), solve(problem, deterministic=True)
    assert (first.assignments, first.unscheduled) == (second.assignments, second.unscheduled)


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda r: r.assignments.update(r2=(1, "T2")), "firm 'A' in slot 1"),
    (lambda r: r.assignments.update(r3=(1, "T1")), "table 'T1' in slot 1"),
    (lambda r: r.assignments.update(r3=(4, "T1")), "not available in slot 4"),
    (lambda r: r.assignments.pop("r3"), "not exactly the problem's requests"),
    (lambda r: r.unscheduled.update(r1="no_table"), "both scheduled and unscheduled"),
    (lambda r: setattr(r, "meetings", 4), "meetings is 4"),
    (lambda r: setattr(r, "gaps", 1), "gaps is 1"),
    (lambda r: setattr(r, "bound", 2), "bound 2 is below"),
])
def test_validate_catches_a_broken_rule(change, complaint):
    problem = event({"A": ("all", 2), "B": "all", "C": "all", "D": {1, 2, 3}}, ["A-B", "A-C", "C-D"], tables=2)
    result = solve(problem)
    assert validate(problem, result) == []
    broken = dataclasses.replace(result, assignments=dict(result.assignments), unscheduled=dict(result.unscheduled))
    broken.assignments.update(r1=(1, "T1"), r2=(2, "T1"), r3=(3, "T1"))  # a valid schedule to break
    assert validate(problem, broken) == []
    change(broken)
    assert any(complaint in error for error in validate(problem, broken)), validate(problem, broken)


def test_validate_catches_a_moved_pin_an_exceeded_maximum_and_a_false_reason():
    problem = event({"A": ("all", 1), "B": "all", "C": "all"}, ["A-B", "A-C"], tables=2, pins={"r1": (2, "T1")})
    result = solve(problem)
    assert (result.assignments, result.unscheduled) == ({"r1": (2, "T1")}, {"r2": "firm_limit"})
    moved = dataclasses.replace(result, assignments={"r1": (1, "T1")})
    assert any("pinned to" in error for error in validate(problem, moved))
    over = dataclasses.replace(result, assignments={"r1": (2, "T1"), "r2": (1, "T1")}, unscheduled={}, meetings=2)
    assert any("maximum 1" in error for error in validate(problem, over))
    false = dataclasses.replace(result, unscheduled={"r2": "no_common_slot"})
    assert any("does not hold" in error for error in validate(problem, false))


def test_a_larger_event_is_valid_and_no_worse_than_the_greedy():
    problem = synthetic_event(firms=40, requests=160, sessions=2, per_session=4, tables=6, seed=3)
    problem.time_limit_s = 1.5
    base, best = greedy(problem), solve(problem, deterministic=True)
    assert validate(problem, base) == [] and validate(problem, best) == []
    assert best.bound >= best.meetings >= base.meetings
    assert (best.meetings, -best.gaps) >= (base.meetings, -base.gaps)
    assert best.seconds < 2.5


def test_the_polish_keeps_every_meeting_in_its_session_and_only_improves():
    problem = synthetic_event(firms=40, requests=160, sessions=2, per_session=4, tables=6, seed=3)
    base = greedy(problem)
    before = {(rid, slot) for rid, (slot, _table) in base.assignments.items()}
    after = _windows(problem, before, 5.0, seed=0, rounds=10)
    session = {s.id: s.session for s in problem.slots}
    kept = {(rid, session[slot]) for rid, slot in after}
    assert {(rid, session[slot]) for rid, slot in before} <= kept
    assert (len(after), -count_gaps(problem, dict(after))) > (len(before), -count_gaps(problem, dict(before)))
    book, reqs = _pinned(problem), {r.id: r for r in problem.requests}
    for rid, slot in after:
        book.place(reqs[rid], slot)
    assert validate(problem, _result(problem, book, "feasible", None, None, 0.0)) == []
    assert _windows(problem, before, 5.0, seed=0, rounds=10) == after


def test_the_polish_is_the_same_in_another_process():
    """Slot ids are strings here, whose hashes differ from process to process: nothing may depend on set order."""
    problem = synthetic_event(firms=40, requests=160, sessions=2, per_session=4, tables=6, seed=3)
    before = {(rid, slot) for rid, (slot, _table) in greedy(problem).assignments.items()}
    here = sorted(_windows(problem, before, 5.0, seed=0, rounds=10))
    script = ("from bench.events import synthetic_event; from portal.events.schedule import greedy, _windows; "
              "p = synthetic_event(40, 160, 2, 4, 6, 3); "
              "before = {(rid, slot) for rid, (slot, _t) in greedy(p).assignments.items()}; "
              "print(sorted(_windows(p, before, 5.0, seed=0, rounds=10)))")
    other_seed = str(int(os.environ.get("PYTHONHASHSEED", "0") or 0) + 1)
    there = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONHASHSEED": other_seed}, timeout=60).stdout
    assert there.strip() == str(here)


@pytest.mark.parametrize("seed", range(30))
def test_random_small_events_with_pins_are_valid_and_solved_to_optimality(seed):
    rng = random.Random(seed)
    slots = [Slot(f"s{n}", n // 3) for n in range(rng.randint(2, 6))]
    firms = {f"F{n}": FirmAvail(frozenset(s.id for s in slots if rng.random() < 0.75), rng.choice([None, 1, 2, 3]))
             for n in range(rng.randint(3, 8))}
    requests = [Req(f"r{n}", *rng.sample(sorted(firms), 2)) for n in range(rng.randint(1, 14))]
    problem = Problem(slots, [f"T{n}" for n in range(rng.randint(1, 3))], firms, requests, time_limit_s=2.0)
    problem.pins = dict(list(greedy(problem).assignments.items())[:rng.randint(0, 2)])
    base, best = greedy(problem), solve(problem)
    for result in (base, best):
        assert validate(problem, result) == []
        assert all(result.assignments[rid] == place for rid, place in problem.pins.items())
    assert (best.meetings, -best.gaps) >= (base.meetings, -base.gaps)
    assert (best.status, best.bound, best.gaps_bound) == ("optimal", best.meetings, best.gaps)
