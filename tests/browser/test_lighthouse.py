"""Lighthouse (npm, with the system Chromium) on the home page, a cluster page, the directory and a request
page: accessibility, best practices and SEO at least 0.95. Performance is reported, not gated (two shared
cores make it noisy). Page quality does not depend on the database, so it runs on the SQLite run only."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.clusters.models import Position
from portal.collab import services as collab
from portal.extensions import db
from tests import factories
from tests.browser.quality import ON_SQLITE_RUN_ONLY, in_ci

pytestmark = [pytest.mark.browser, ON_SQLITE_RUN_ONLY]

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
GATED = ("accessibility", "best-practices", "seo")
REPORT = ROOT / "test-results" / "lighthouse.txt"


@pytest.fixture
def pages(app):
    with app.app_context():
        betta = factories.cluster("betta")
        owner = factories.user(email="lighthouse@example.com")
        for n in range(6):
            firm = factories.firm(name_th=f"ฟาร์มปลากัดลำดับ{n}", name_en=f"Betta Farm {n}",
                                  description_th="เพาะพันธุ์ปลากัดฮาล์ฟมูนเกรดส่งออก")
            factories.membership(firm, betta, list(Position)[n % 3])
        factories.team_member(firm, owner, "owner")
        request = collab.post_request(owner, firm, {
            "cluster_id": betta.id, "kind": collab.Kind.SEEKING_SUPPLIER, "title_th": "หาฟาร์มปลากัดส่งออกยุโรป",
            "title_en": "Betta farms for export to Europe", "details_th": "ปลากัดฮาล์ฟมูน 500 ตัวต่อเดือน"})
        db.session.commit()
        return {"home": "/", "cluster": "/clusters/betta", "directory": "/directory/",
                "request": f"/requests/{request.id}"}


def test_lighthouse_scores(live_server, pages, tmp_path, capsys):
    if not (LIGHTHOUSE.exists() and os.path.exists(CHROMIUM)):
        message = f"Lighthouse needs {LIGHTHOUSE} (npm ci) and Chromium at {CHROMIUM}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    flags = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
             "--disable-component-update --disable-sync --no-first-run")
    lines, failures = [], []
    for name, path in pages.items():
        output = tmp_path / f"{name}.json"
        subprocess.run([str(LIGHTHOUSE), live_server + path, f"--chrome-flags={flags}", "--output=json",
                        f"--output-path={output}", "--quiet",
                        "--only-categories=performance,accessibility,best-practices,seo"],
                       env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True, timeout=180,
                       capture_output=True)
        report = json.loads(output.read_text())
        scores = {key: category["score"] for key, category in report["categories"].items()}
        lines.append(f"{name:10} {path:24} " + " ".join(f"{k}={v:.2f}" for k, v in scores.items()))
        for category in GATED:
            if scores[category] is None or scores[category] < 0.95:
                failed = [f"{a['id']} ({a['title']})" for ref in report["categories"][category]["auditRefs"]
                          if (a := report["audits"][ref["id"]]).get("score") is not None and a["score"] < 1
                          and ref["weight"] > 0]
                failures.append(f"{name} {category}={scores[category]}: {', '.join(failed)}")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    with capsys.disabled():
        print("\nLighthouse (werkzeug test server; performance is not gated):\n" + "\n".join(lines))
    assert not failures, "\n".join(failures)
