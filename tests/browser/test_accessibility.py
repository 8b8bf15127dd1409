"""axe-core finds no accessibility violations on the public pages, in Thai and English, phone and desktop."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from portal.clusters.models import Position
from portal.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

PAGES = ["/", "/clusters/", "/clusters/betta", "/clusters/betta/members/upstream", "/clusters/missing"]


@pytest.fixture
def some_members(app):
    with app.app_context():
        betta = factories.cluster("betta")
        for n in range(3):
            firm = factories.firm(name_th=f"ฟาร์มปลากัด{n}", name_en=f"Betta Farm {n}" if n else None)
            factories.membership(firm, betta, list(Position)[n])
        db.session.commit()


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("width", [360, 1280])
def test_public_pages_have_no_axe_violations(page: Page, base_url, some_members, lang, width):
    page.set_viewport_size({"width": width, "height": 800})
    axe = Axe()
    for path in PAGES:
        page.goto(f"{base_url}{path}?lang={lang}")
        results = axe.run(page)
        assert results.violations_count == 0, f"{path} ({lang}, {width}px):\n{results.generate_report()}"
