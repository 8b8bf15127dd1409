"""Hostile input to every form field, query parameter and text path parameter of every endpoint, as
every kind of user: never a 500, and nothing stored or echoed renders as markup.

Targets come from the app (`app.url_map`, the keys each view reads, the forms on its pages): a new
route or field is fuzzed without touching this file. Two passes: here every payload once on every input
(deterministic, finds most bugs), and in tests/test_fuzz_random.py hypothesis mixing payloads at random
(derandomized, so CI runs the same examples every time); two modules so that two test workers share them.
Run alone: `pytest tests/test_fuzz.py tests/test_fuzz_random.py`.

The PostgreSQL run sends every payload whose handling can depend on the database to every input too (its own
failures: a NUL byte, a number past 64 bits, text longer than a column are each one input's payload); markup,
control characters and repeated fields try the application alone and are sent on the SQLite run. The random
mix runs on the SQLite run only, since what it adds (payloads meeting in one form) is the application's, not
the database's.
"""
import itertools

import pytest
from sqlalchemy import select

from config import TestConfig
from portal import create_app
from portal.clusters.models import Cluster
from portal.extensions import db
from tests import fuzz_payloads as payloads
from tests.fuzz_harness import Failure, fail, target_ids
from tests.helpers import POSTGRESQL_RUN

TARGET_IDS = target_ids(create_app(TestConfig))
SENT = payloads.PAYLOADS_FOR_DATABASE if POSTGRESQL_RUN else payloads.PAYLOADS + payloads.LISTS


@pytest.fixture(autouse=True)
def _clean_database():
    """The fuzz world lives for the whole module (the `harness` fixture, tests/conftest.py); the harness restores
    it before each attempt."""
    yield


@pytest.mark.parametrize("target_id", TARGET_IDS)
def test_every_payload_on_every_input(harness, target_id):
    target = harness.targets[target_id]
    role = harness.main_role(target)
    failures, total = [], 0
    for where, name in harness.inputs(target, role, common=False):
        for value in payloads.NUMBERS if where == "id" else SENT:
            attempt = harness.attempt(target, role, target.settled_url)
            attempt.note = f"{where} {name}={payloads.describe(value)}"
            if not harness.put(attempt, where, name, value):
                continue
            total += 1
            try:
                harness.send(attempt)
            except Failure as failure:
                failures.append(str(failure))
    fail(failures, total)


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
            attempt = harness.attempt(target, role, index)
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
    fail(failures, stored)
