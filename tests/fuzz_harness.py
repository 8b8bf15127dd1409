"""Runs fuzz attempts: the world restored from a snapshot before each one, the request sent as a
role, and the answer judged (never a 500, never a payload rendered as markup). What the fuzz modules
(tests/test_fuzz.py, tests/test_fuzz_random.py) share is here too: the harness for a module, and the building
of attempts."""
import contextlib
import io
import itertools
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, text

from portal.auth import passwords
from portal.auth import services as auth_services
from portal.extensions import db
from tests import fuzz_targets, fuzz_world
from tests.fuzz_payloads import UNESCAPED
from tests.fuzz_targets import RecordingRequest, Target
from tests.fuzz_world import CHEAP_HASH

SNAPSHOT_PREFIX = "fuzz_snapshot_"
LOGIN_PATH = "/auth/login"
NOT_ADMITTED = (401, 403, 404, 405)


class Failure(AssertionError):
    pass


def _short(value, limit=120):
    text_ = repr(value)
    return text_ if len(text_) <= limit else f"{text_[:limit]}… ({len(text_)} chars)"


@dataclass(repr=False)
class Attempt:
    """One request to send: the role, the URL, and what goes in the query string and the body."""

    target: Target
    role: str
    url: str | None
    url_index: int = 0  # which of the target's URLs (each `any(...)` choice)
    path: dict = field(default_factory=dict)  # path parameters replaced
    form: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    note: str = ""

    def describe(self) -> str:
        parts = [f"{self.target.method} {self.url} as {self.role}"]
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)

    __repr__ = describe  # what hypothesis prints for a falsifying example


class Harness:
    """The fuzz world, the targets found in the app, and the sending and judging of attempts."""

    def __init__(self, app):
        self.app = app
        self.world: fuzz_world.World | None = None
        self.tables: list[str] = []
        self.targets: dict[str, Target] = {}
        self.adapter = app.url_map.bind("localhost")
        self.common_params: set[str] = set()
        self.requests = 0
        self.dirty = True  # something may have written since the world was last restored

    # --- the world ------------------------------------------------------------------------------

    def _note_writes(self, conn, cursor, statement, parameters, context, executemany):
        """SQLAlchemy event: any INSERT, UPDATE or DELETE means the world must be restored."""
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.dirty = True

    def setup(self):
        with self.app.app_context():
            self.engine = db.engine
            event.listen(self.engine, "before_cursor_execute", self._note_writes)
            self.tables = fuzz_world.data_tables(fuzz_world.filled_tables() - self._snapshots())
            self._drop_snapshots()
            fuzz_world.wipe(self.tables)
            self.world = fuzz_world.build()
            for table in self.tables:
                db.session.execute(text(f"CREATE TABLE {SNAPSHOT_PREFIX}{table} AS SELECT * FROM {table}"))
            db.session.commit()
            deletes = [f"DELETE FROM {t}" for t in self.tables]
            inserts = [f"INSERT INTO {t} SELECT * FROM {SNAPSHOT_PREFIX}{t}" for t in reversed(self.tables)]
            self._restore_sql = deletes + inserts

    def teardown(self):
        event.remove(self.engine, "before_cursor_execute", self._note_writes)
        with self.app.app_context():
            self._drop_snapshots()
            fuzz_world.wipe(self.tables)

    def _snapshots(self) -> set[str]:
        return {t for t in db.inspect(db.engine).get_table_names() if t.startswith(SNAPSHOT_PREFIX)}

    def _drop_snapshots(self):
        for table in self._snapshots():
            db.session.execute(text(f"DROP TABLE {table}"))
        db.session.commit()

    def restore(self):
        """Put the world back exactly as built (same rows, same ids), if anything wrote since."""
        if not self.dirty:
            return
        with self.app.app_context():
            connection = db.session.connection()
            if db.engine.dialect.name == "postgresql":
                connection.exec_driver_sql(";".join(self._restore_sql))
            else:
                for statement in self._restore_sql:
                    connection.exec_driver_sql(statement)
            db.session.commit()
        self.dirty = False

    def client_as(self, role: str):
        client = self.app.test_client()
        user_id = self.world.user_id(role)
        if user_id:
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = user_id, True
        return client

    # --- sending --------------------------------------------------------------------------------

    def send(self, attempt: Attempt):
        """Send the attempt on a freshly restored world, and follow a redirect to a page of ours; raises
        Failure on a 500 or rendered markup. Returns the last response."""
        self.restore()
        client = self.client_as(attempt.role)
        response = self._request(client, attempt.target.method, attempt.url, attempt)
        if response.status_code in (301, 302, 303) and self._local(response.location):
            response = self._request(client, "GET", response.location, attempt, redirected=True)
        return response

    def _request(self, client, method, url, attempt, redirected=False):
        self.requests += 1
        kwargs = {}
        if not redirected:
            kwargs["query_string"] = attempt.query
            if method == "POST":
                data = dict(attempt.form)
                data.update({name: (io.BytesIO(content), filename) for name, (content, filename)
                             in attempt.files.items()})
                kwargs["data"] = data
        where = attempt.describe() + (f" → redirected to {url}" if redirected else "")
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as exc:  # TESTING propagates exceptions: that is a 500 for a visitor
            raise Failure(f"500 ({type(exc).__name__}: {_short(str(exc), 300)}) for {where}") from exc
        if response.status_code >= 500:
            raise Failure(f"{response.status_code} for {where}")
        self.check_markup(response, where)
        return response

    @staticmethod
    def check_markup(response, where):
        if not response.mimetype.startswith("text/html"):
            return
        body = response.get_data(as_text=True)
        for raw in UNESCAPED:
            if raw in body:
                start = body.index(raw)
                raise Failure(f"payload rendered as markup ({body[max(0, start - 80):start + 60]!r}) for {where}")

    @staticmethod
    def _local(location: str | None) -> bool:
        parts = urlsplit(location or "")
        return (not parts.netloc or parts.netloc == "localhost") and not parts.path.startswith(LOGIN_PATH)

    def page(self, role: str, url: str) -> str:
        """The HTML of a page as a role, on the world as it is now (no restore); checked like any answer."""
        response = self.client_as(role).get(url)
        self.requests += 1
        if response.status_code != 200:
            raise Failure(f"{response.status_code} for GET {url} as {role}")
        self.check_markup(response, f"GET {url} as {role}")
        return response.get_data(as_text=True)

    def holds(self, text_: str) -> bool:
        """Whether some row of the data tables contains the text (as typed: nothing escapes on the way in)."""
        with self.app.app_context():
            connection = db.session.connection()
            found = any(text_ in repr(row) for t in self.tables for row in connection.exec_driver_sql(
                f"SELECT * FROM {t}"))
            db.session.rollback()
        return found

    def url(self, target: Target, index: int = 0, **override) -> str | None:
        """The target's URL number `index` (cycling), with path parameters overridden; None if unbuildable."""
        values = {**target.path_values[index % len(target.path_values)], **override}
        try:
            return self.adapter.build(target.endpoint, values, method=target.method)
        except Exception:  # e.g. an empty path segment: no URL to send
            return None

    # --- discovery ------------------------------------------------------------------------------

    def discover(self):
        """Probe every rule and method as every role: who is admitted, what the view reads, which forms
        the pages show (with their defaults); then a base submission the app accepts."""
        forms = {}  # (role, method, action path) -> Form
        for rule, method in fuzz_targets.rules(self.app):
            target = Target(rule.endpoint, method, fuzz_targets.path_values(rule, self.world),
                            fuzz_targets.string_params(rule), fuzz_targets.int_params(rule))
            for role in fuzz_world.ROLES:
                reads, admitted = self._probe(target, role, forms)
                if admitted:
                    target.roles.append(role)
                reads = sorted(reads)  # a set's order changes with PYTHONHASHSEED; examples must not
                target.form[role] = {k: fuzz_targets.Field(k, "text", in_page=False) for kind, k in reads
                                     if kind == "form"}
                target.query[role] = {k: fuzz_targets.Field(k, "text", in_page=False) for kind, k in reads
                                      if kind == "args"}
            self.targets[target.id] = target
        self._merge_forms(forms)
        for target in self.targets.values():
            self._settle(target)
        pages = [set(t.query.get(t.roles[0], {})) for t in self.targets.values() if t.method == "GET" and t.roles]
        self.common_params = {name for name in set().union(*pages)
                              if sum(name in page for page in pages) > 0.8 * len(pages)}

    def _probe(self, target, role, forms):
        reads, admitted = set(), False
        for index in range(len(target.path_values)):
            url = self.url(target, index)
            self.restore()
            fuzz_targets.READS.clear()
            data = {"__probe__": "1"} if target.method == "POST" else None
            response = self.client_as(role).open(url, method=target.method, data=data)
            self.requests += 1
            reads |= fuzz_targets.READS
            login = response.status_code in (301, 302, 303) and urlsplit(response.location).path == LOGIN_PATH
            admitted |= response.status_code not in NOT_ADMITTED and not login
            if response.mimetype.startswith("text/html") and response.status_code == 200:
                for form in fuzz_targets.forms_in(response.get_data(as_text=True), urlsplit(url).path):
                    forms.setdefault((role, form.method, form.action), form)
        return reads - {("form", f) for f in fuzz_targets.IGNORED_FIELDS}, admitted

    def _merge_forms(self, forms):
        """Fields seen in the pages' forms join those the view read, with their options and defaults:
        those a role saw itself win, then those other roles saw."""
        seen = {}  # (target id, "form" | "query") -> role -> fields
        for (role, method, action), form in forms.items():
            target_id = f"{self._endpoint(action, method)}-{method.upper()}"
            if target_id in self.targets:
                fields = {n: f for n, f in form.fields.items() if n not in fuzz_targets.IGNORED_FIELDS}
                where = "form" if method == "post" else "query"
                seen.setdefault((target_id, where), {}).setdefault(role, {}).update(fields)
        for (target_id, where), by_role in seen.items():
            anyone = {}
            for fields in by_role.values():
                for name, spec in fields.items():
                    anyone.setdefault(name, spec)
            into = getattr(self.targets[target_id], where)
            for role in fuzz_world.ROLES:
                into.setdefault(role, {}).update({**anyone, **by_role.get(role, {})})

    def _endpoint(self, path, method):
        try:
            endpoint, _args = self.adapter.match(path, method=method.upper())
        except Exception:  # a form posting somewhere the map does not know: not ours to fuzz
            return None
        return endpoint

    def _settle(self, target):
        """Per role, the page's defaults as base submission; and the first role (in ROLES order) for which
        the app accepts one (it writes to the database), trying other choices and filled-in fields."""
        for role in fuzz_world.ROLES:
            form = {n: f.base() for n, f in target.form.get(role, {}).items() if f.base() is not None}
            query = {n: f.base() for n, f in target.query.get(role, {}).items() if f.base() is not None}
            target.base[role] = (form, query)
        if target.method != "POST":
            return
        for role in target.roles:
            for index, trial in itertools.islice(self._trials(target, role), 30):
                attempt = Attempt(target, role, self.url(target, index), form=trial, query=target.base[role][1])
                if self._changes_database(attempt):
                    target.base[role], target.settled, target.settled_url = (trial, attempt.query), role, index
                    return

    @staticmethod
    def _trials(target, role):
        fields = target.form.get(role, {})
        form = target.base[role][0]
        filled = {**form, **{n: fuzz_targets.filler(n, f.input_type) for n, f in fields.items()
                             if f.kind == "text" and f.in_page and not form.get(n)}}
        for index in range(len(target.path_values)):
            yield index, form
            yield index, filled
        for base in (form, filled):
            for name, spec in fields.items():
                for option in spec.alternatives()[:5]:
                    yield 0, {**base, name: [option] if spec.kind == "check" else option}

    def _changes_database(self, attempt) -> bool:
        self.restore()
        response = self.client_as(attempt.role).post(attempt.url, data=attempt.form, query_string=attempt.query)
        self.requests += 1
        return response.status_code < 400 and self.dirty

    # --- building attempts ----------------------------------------------------------------------

    def attempt(self, target: Target, role: str, url_index: int = 0) -> Attempt:
        """The target's base submission as the role, on its URL number `url_index`."""
        form, query = target.base[role]
        return Attempt(target, role, self.url(target, url_index), url_index, form=dict(form), query=dict(query))

    def inputs(self, target: Target, role: str, common: bool = True) -> list[tuple[str, str]]:
        """(where, name) of every input of the target as the role: form fields, query parameters, path text.
        Without `common`, the parameters every page reads count only on the home page."""
        found = [("form", name) for name in target.form.get(role, {})]
        found += [("query", name) for name in target.query.get(role, {})
                  if common or name not in self.common_params or target.id == COMMON_HOME]
        found += [("path", name) for name in target.string_params]
        found += [("id", name) for name in target.int_params]
        return found

    def put(self, attempt: Attempt, where: str, name: str, value) -> bool:
        """Place a value in the attempt; False if it cannot be sent (e.g. an empty path segment)."""
        role_fields = attempt.target.form.get(attempt.role, {})
        if where in ("path", "id"):
            attempt.path[name] = value if isinstance(value, str) else value[0]
            attempt.url = self.url(attempt.target, attempt.url_index, **attempt.path)
            return attempt.url is not None
        if where == "form" and name in role_fields and role_fields[name].kind == "file":
            content = value if isinstance(value, bytes) else "".join(value).encode()
            filename = "" if isinstance(value, bytes) else "".join(value)
            attempt.files[name] = (content, filename or "upload.csv")
            return True
        getattr(attempt, where)[name] = value
        return True

    @staticmethod
    def main_role(target: Target) -> str:
        """The role the deterministic pass uses: one whose base is accepted, else the first admitted."""
        return target.settled or (target.roles or ["owner"])[0]


# --- what the fuzz modules share ------------------------------------------------------------------------------

COMMON_HOME = "main.index-GET"  # parameters every page reads (?lang=) get every payload here only
MAX_REPORTED = 15


def target_ids(app) -> list[str]:
    """The id of every target, for parametrize: one test per endpoint and method."""
    return [f"{rule.endpoint}-{method}" for rule, method in fuzz_targets.rules(app)]


@contextlib.contextmanager
def harness_for(app):
    """A module's harness: its world built and its targets discovered, with cheap password hashes and the
    request class that records what views read."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app, "request_class", RecordingRequest)
        patch.setattr(passwords, "hash_password", CHEAP_HASH)
        patch.setattr(auth_services, "_dummy_hash", lambda: CHEAP_HASH("dummy"))
        fuzz = Harness(app)
        fuzz.setup()
        try:
            fuzz.discover()
            yield fuzz
        finally:
            fuzz.teardown()


def fail(failures, total):
    if failures:
        shown = "\n".join(failures[:MAX_REPORTED])
        more = f"\n… and {len(failures) - MAX_REPORTED} more" if len(failures) > MAX_REPORTED else ""
        pytest.fail(f"{len(failures)} of {total} attempts failed:\n{shown}{more}", pytrace=False)
