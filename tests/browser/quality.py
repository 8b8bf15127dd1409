"""What the browser tests check on every page they visit: axe-core finds no accessibility violation, and the
HTML the server sent is kept so the Nu validator can check all of it in one run at the end of the session
(one JVM start, ~2 s), see `validate_html`."""
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import factories
from tests.helpers import POSTGRESQL_RUN

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PAGES: dict[str, tuple[str, bytes]] = {}  # key -> (url, the HTML as served)
_axe = Axe()
# Page quality (Lighthouse, the axe sweep of every page) does not depend on the database: measured once.
ON_SQLITE_RUN_ONLY = pytest.mark.skipif(POSTGRESQL_RUN, reason="page quality is measured once, on the SQLite run")
# The variant of each journey the PostgreSQL run drives: Thai, at phone size (most users). The others differ in
# language and layout only, which do not depend on the database; the SQLite run drives them all.
POSTGRESQL_VARIANT = {"lang": "th", "size": "phone"}


def one_variant_on_postgresql(**variant) -> None:
    """Skip this journey's variant on the PostgreSQL run unless it is POSTGRESQL_VARIANT (for the keys given).
    The PostgreSQL run still drives every journey once, through every page and query it makes."""
    if POSTGRESQL_RUN and any(POSTGRESQL_VARIANT[key] != value for key, value in variant.items()):
        pytest.skip(f"{variant}: languages and sizes are driven on the SQLite run; PostgreSQL drives "
                    f"{POSTGRESQL_VARIANT}")


def keep_html(page, who: str = "") -> None:
    """Record every HTML document the page loads (after links, redirects and form posts alike)."""

    def on_response(response):
        request = response.request
        if (request.resource_type == "document" and request.frame == page.main_frame
                and response.status == 200 and "text/html" in response.headers.get("content-type", "")):
            path = response.url.split("//", 1)[-1].split("/", 1)[-1]
            key = who + "|" + re.sub(r"/[0-9]+(?=/|$|\?)", "/N", path)
            try:
                PAGES.setdefault(key, (response.url, response.body()))
            except Exception:  # noqa: BLE001  (the page navigated away before its body was read)
                pass

    page.on("response", on_response)


def check_accessibility(page) -> None:
    results = _axe.run(page)
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"


def validate_html() -> tuple[int, str]:
    """(number of errors, report) for every page kept this session; (-1, reason) if the validator is missing."""
    if not PAGES:
        return 0, "no pages"
    java = shutil.which("java")
    if not (java and VNU_JAR.exists()):
        return -1, f"the Nu validator needs java and {VNU_JAR} (npm ci)"
    with tempfile.TemporaryDirectory() as folder:
        names = {}
        for n, (_key, (url, body)) in enumerate(sorted(PAGES.items())):
            path = Path(folder) / f"page{n:04d}.html"
            path.write_bytes(body)
            names[path.name] = url
        run = subprocess.run([java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout",
                              *(str(Path(folder) / name) for name in sorted(names))],
                             capture_output=True, text=True, timeout=600)
    messages = json.loads(run.stdout or "{}").get("messages", [])
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    lines = [f"{names.get(Path(m.get('url', '')).name, m.get('url'))}:{m.get('lastLine')}: {m.get('message')}"
             f" [{(m.get('extract') or '').strip()[:80]}]" for m in errors]
    return len(errors), f"{len(PAGES)} pages validated by the Nu HTML checker\n" + "\n".join(lines)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


# Where sign-in lands (portal/auth/services.landing_page): owners on My firms, staff on the moderation queue,
# coordinators without a firm on their cluster's management page.
SIGNED_IN_LANDING = re.compile(r"/(firms/mine|moderation/|clusters/[^/?]+/manage)")


def submit_sign_in(page, email: str, button: str | None = None) -> None:
    """On the sign-in page: fill in the form, submit it (by the button's name when given, which checks that
    label too) and wait for the landing page, so that a failed sign-in fails here and not later, as a link
    or button that is missing."""
    page.locator("#email").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    # The password form's own button (with LINE Login configured, a "Sign in with LINE" form follows it)
    password_form = page.locator("form.form", has=page.locator("#password"))
    (page.get_by_role("button", name=button) if button else password_form.locator("button[type=submit]")).click()
    page.wait_for_url(SIGNED_IN_LANDING)


def sign_in(page, base_url: str, email: str, button: str | None = None) -> None:
    page.goto(base_url + "/auth/login")
    submit_sign_in(page, email, button)
