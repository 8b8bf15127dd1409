"""Hypothesis mixing hostile payloads at random on every endpoint (one to three inputs at once, as any role
that may use it): the second pass of tests/test_fuzz.py, in a module of its own so that another test worker
runs it beside the first. Derandomized: CI runs the same examples every time. SQLite run only: what it adds
(payloads meeting in one form) is the application's, not the database's."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import TestConfig
from portal import create_app
from tests import fuzz_payloads as payloads
from tests.fuzz_harness import target_ids
from tests.helpers import POSTGRESQL_RUN

pytestmark = pytest.mark.skipif(
    POSTGRESQL_RUN, reason="the random mix runs on the SQLite run; PostgreSQL gets every payload on every input")
TARGET_IDS = target_ids(create_app(TestConfig))


def examples(inputs: int) -> int:
    """Hypothesis examples for an endpoint: few where only ?lang= is read, more for real forms."""
    return 5 if inputs == 0 else 10 if inputs < 3 else 25


@pytest.fixture(autouse=True)
def _clean_database():
    """The fuzz world lives for the whole module (the `harness` fixture, tests/conftest.py); the harness restores
    it before each attempt."""
    yield


def _example(harness, target):
    """A hypothesis strategy for one attempt on the target: a role, a URL, one to three inputs changed."""
    roles = target.roles or ["anonymous", "owner"]

    @st.composite
    def build(draw):
        role = draw(st.sampled_from(roles))
        attempt = harness.attempt(target, role, draw(st.integers(0, len(target.path_values) - 1)))
        inputs = harness.inputs(target, role)
        if not inputs:
            return attempt
        for where, name in draw(st.lists(st.sampled_from(inputs), min_size=1, max_size=3, unique=True)):
            field = target.form.get(role, {}).get(name) if where == "form" else None
            if where == "id":
                value = str(draw(st.integers(min_value=0, max_value=2**80)))
            elif field is not None and field.kind == "file":
                value = draw(payloads.file_contents())
            elif field is not None and field.options and draw(st.booleans()):
                value = draw(st.sampled_from(field.options))
            else:
                value = draw(payloads.values())
            if harness.put(attempt, where, name, value):
                attempt.note += f"{where} {name}={payloads.describe(value)}; "
        return attempt

    return build()


@pytest.mark.parametrize("target_id", TARGET_IDS)
def test_random_inputs(harness, target_id):
    target = harness.targets[target_id]
    own_inputs = len(harness.inputs(target, harness.main_role(target), common=False))

    @settings(max_examples=examples(own_inputs), deadline=None, derandomize=True, database=None, print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(attempt=_example(harness, target))
    def run(attempt):
        if attempt.url is not None:
            harness.send(attempt)

    run()
