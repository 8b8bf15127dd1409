"""Hostile input to every form field, query parameter and text path parameter of every endpoint, as
every kind of user: never a 500, and nothing stored or echoed renders as markup.

Targets come from the app (`app.url_map`, the keys each view reads, the forms on its pages): a new
route or field is fuzzed without touching this file. Two passes: every payload once on every input
(deterministic, finds most bugs), then hypothesis mixing payloads at random (derandomized, so CI
runs the same examples every time). Run alone: `pytest tests/test_fuzz.py`.

The PostgreSQL run sends every payload to every input too (its own failures: a NUL byte, a number past
64 bits, text longer than a column are each one input's payload); the random mix runs on the SQLite run
only, since what it adds (payloads meeting in one form) is the application's, not the database's.
"""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from config import TestConfig
from portal import create_app
from portal.auth import services as auth_services
from portal.clusters.models import Cluster
from portal.extensions import db
from tests import fuzz_payloads as payloads
from tests.fuzz_harness import Attempt, Failure, Harness
from tests.fuzz_targets import RecordingRequest, rules
from tests.fuzz_world import CHEAP_HASH
from tests.helpers import POSTGRESQL_RUN

TARGET_IDS = [f"{rule.endpoint}-{method}" for rule, method in rules(create_app(TestConfig))]
COMMON_HOME = "main.index-GET"  # parameters every page reads (?lang=) get every payload here only
MAX_REPORTED = 15


def examples(inputs: int) -> int:
    """Hypothesis examples for an endpoint: few where only ?lang= is read, more for real forms."""
    return 5 if inputs == 0 else 10 if inputs < 3 else 25


@pytest.fixture(autouse=True)
def _clean_database():
    """The fuzz world lives for the whole module; the harness restores it before each attempt."""
    yield


@pytest.fixture(scope="module")
def harness(app):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app, "request_class", RecordingRequest)
        patch.setattr(auth_services, "generate_password_hash", CHEAP_HASH)
        patch.setattr(auth_services, "_dummy_hash", lambda: CHEAP_HASH("dummy"))
        fuzz = Harness(app)
        fuzz.setup()
        try:
            fuzz.discover()
            yield fuzz
        finally:
            fuzz.teardown()


def _fail(failures, total):
    if failures:
        shown = "\n".join(failures[:MAX_REPORTED])
        more = f"\n… and {len(failures) - MAX_REPORTED} more" if len(failures) > MAX_REPORTED else ""
        pytest.fail(f"{len(failures)} of {total} attempts failed:\n{shown}{more}", pytrace=False)


def _put(attempt: Attempt, where: str, name: str, value, harness) -> bool:
    """Place a value in the attempt; False if it cannot be sent (e.g. an empty path segment)."""
    role_fields = attempt.target.form.get(attempt.role, {})
    if where in ("path", "id"):
        attempt.path[name] = value if isinstance(value, str) else value[0]
        attempt.url = harness.url(attempt.target, attempt.url_index, **attempt.path)
        return attempt.url is not None
    if where == "form" and name in role_fields and role_fields[name].kind == "file":
        content = value if isinstance(value, bytes) else "".join(value).encode()
        filename = "" if isinstance(value, bytes) else "".join(value)
        attempt.files[name] = (content, filename or "upload.csv")
        return True
    getattr(attempt, where)[name] = value
    return True


def _inputs(harness, target, role, common=True):
    """(where, name) of every input of the target as the role: form fields, query parameters, path text."""
    found = [("form", name) for name in target.form.get(role, {})]
    found += [("query", name) for name in target.query.get(role, {})
              if common or name not in harness.common_params or target.id == COMMON_HOME]
    found += [("path", name) for name in target.string_params]
    found += [("id", name) for name in target.int_params]
    return found


def _attempt(harness, target, role, url_index=0) -> Attempt:
    form, query = target.base[role]
    return Attempt(target, role, harness.url(target, url_index), url_index, form=dict(form), query=dict(query))


@pytest.mark.parametrize("target_id", TARGET_IDS)
def test_every_payload_on_every_input(harness, target_id):
    target = harness.targets[target_id]
    role = harness.main_role(target)
    failures, total = [], 0
    for where, name in _inputs(harness, target, role, common=False):
        for value in payloads.NUMBERS if where == "id" else payloads.PAYLOADS + payloads.LISTS:
            attempt = _attempt(harness, target, role, target.settled_url)
            attempt.note = f"{where} {name}={payloads.describe(value)}"
            if not _put(attempt, where, name, value, harness):
                continue
            total += 1
            try:
                harness.send(attempt)
            except Failure as failure:
                failures.append(str(failure))
    _fail(failures, total)


def _example(harness, target):
    """A hypothesis strategy for one attempt on the target: a role, a URL, one to three inputs changed."""
    roles = target.roles or ["anonymous", "owner"]

    @st.composite
    def build(draw):
        role = draw(st.sampled_from(roles))
        attempt = _attempt(harness, target, role, draw(st.integers(0, len(target.path_values) - 1)))
        inputs = _inputs(harness, target, role)
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
            if _put(attempt, where, name, value, harness):
                attempt.note += f"{where} {name}={payloads.describe(value)}; "
        return attempt

    return build()


@pytest.mark.skipif(POSTGRESQL_RUN,
                    reason="the random mix runs on the SQLite run; PostgreSQL gets every payload on every input")
@pytest.mark.parametrize("target_id", TARGET_IDS)
def test_random_inputs(harness, target_id):
    target = harness.targets[target_id]
    own_inputs = len(_inputs(harness, target, harness.main_role(target), common=False))

    @settings(max_examples=examples(own_inputs), deadline=None, derandomize=True, database=None, print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(attempt=_example(harness, target))
    def run(attempt):
        if attempt.url is not None:
            harness.send(attempt)

    run()


# Where stored text is read: each page as a person who sees it. The first answer after a write (usually
# the page it redirects to) is looked at first; these are read only when it does not show the value.
DISPLAY_PAGES = [
    ("owner", "firms.detail", {"firm_id": "firm"}),
    ("owner", "collab.detail", {"request_id": "request"}),
    ("owner", "collab.thread", {"response_id": "response"}),
    ("owner", "memberships.firm_memberships", {"firm_id": "firm"}),
    ("owner", "notifications.index", {}),
    ("responder", "notifications.index", {}),
    ("coordinator", "coordination.queue", {"slug": "betta"}),
    ("coordinator", "coordination.member", {"slug": "betta", "membership_id": "membership"}),
    ("staff", "moderation.queue", {}),
    *[("staff", "moderation.target", {"target_type": kind, "target_id": kind})
      for kind in ("firm", "request", "response", "message")],
    ("staff", "moderation.user", {"user_id": "subject"}),
    ("staff", "results.outcomes", {}),
    ("admin", "admin.audit_log", {}),
    ("staff", "events.detail", {"event_id": "event"}),
    ("staff", "events.registrations", {"event_id": "event"}),
    ("owner", "events.attendees", {"event_id": "event"}),
    ("owner", "events.my_requests", {"event_id": "event"}),
]
# (target id, field) -> why this text is stored but, by design, shown on no page. None so far.
NOT_SHOWN: dict[tuple[str, str], str] = {}
TEXT_INPUTS = ("text", "textarea", "search")


def _display_urls(harness, response):
    """The page the write led to (in English: it was seen in Thai), then the display pages in Thai and
    in English (the _en columns), as (role or None for the writer, URL)."""
    with harness.app.app_context():
        slugs = db.session.scalars(select(Cluster.slug).order_by(Cluster.slug)).all()
    if response.request.method == "GET":
        yield None, f"{response.request.path}?lang=en"
    pages = [
        (role, harness.adapter.build(endpoint, {k: harness.world.ids[v] if k.endswith("_id") else v
                                                for k, v in params.items()}))
        for role, endpoint, params in DISPLAY_PAGES]
    pages += [("staff", harness.adapter.build("coordination.queue", {"slug": slug})) for slug in slugs]
    for role, url in pages:
        for lang in ("th", "en"):
            yield role, f"{url}{'&' if '?' in url else '?'}lang={lang}"


def test_stored_text_is_shown_as_text(harness):
    """Markup typed in any free-text field that is stored shows as text (escaped) where it is read."""
    failures, stored = [], 0
    for target in harness.targets.values():
        role = target.settled
        fields = [name for name, spec in (target.form.get(role, {}) if role else {}).items()
                  if spec.kind == "text" and spec.input_type in TEXT_INPUTS and spec.in_page]
        for name, index in itertools.product(fields, range(len(target.path_values))):
            attempt = _attempt(harness, target, role, index)
            attempt.form[name], attempt.note = payloads.SCRIPT, f"form {name}=SCRIPT"
            try:
                response = harness.send(attempt)
                if not harness.holds(payloads.SCRIPT):
                    continue
                stored += 1
                shown = payloads.SCRIPT_ESCAPED in response.get_data(as_text=True) or any(
                    payloads.SCRIPT_ESCAPED in harness.page(who or role, url) for who, url in _display_urls(
                        harness, response))
            except Failure as failure:
                failures.append(str(failure))
                continue
            if not shown and (target.id, name) not in NOT_SHOWN:
                failures.append(f"{target.id} stores {name} but no page shows it: {attempt.describe()}")
    assert stored > 20, "the fuzz world should accept markup in many fields"
    _fail(failures, stored)
