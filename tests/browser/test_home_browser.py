"""In real Chromium: Thai home page → switch to English → Betta fish cluster with its three columns."""
import re

import pytest
from playwright.sync_api import Page, expect

from portal.clusters.models import Position
from portal.extensions import db
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def betta_firms(app):
    with app.app_context():
        betta = factories.cluster("betta")
        factories.membership(factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm"), betta,
                             Position.UPSTREAM)
        factories.membership(factories.firm(name_th="ปลากัดส่งออกสยาม", name_en="Siam Betta Export"), betta,
                             Position.DOWNSTREAM)
        db.session.commit()


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}],
                         ids=["phone", "desktop"])
def test_switch_to_english_and_open_betta_cluster(page: Page, base_url, betta_firms, viewport, tmp_path):
    page.set_viewport_size(viewport)
    page.context.set_extra_http_headers({"Accept-Language": "th-TH,th;q=0.9"})
    page.goto(base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.get_by_role("heading", level=1)).to_have_text("หาพันธมิตรตลอดห่วงโซ่คุณค่า")

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find partners along the value chain")

    page.get_by_role("link", name="Betta fish").first.click()
    expect(page).to_have_url(re.compile(r"/clusters/betta$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the choice was remembered
    expect(page.get_by_role("heading", level=1)).to_have_text("Betta fish cluster")
    columns = page.locator("section.chain-column")
    expect(columns).to_have_count(3)
    for name, count in (("Upstream", "1 firm"), ("Midstream", "0 firms"), ("Downstream", "1 firm")):
        heading = page.get_by_role("heading", level=3, name=re.compile(name))
        expect(heading).to_be_visible()
        expect(heading).to_contain_text(count)
    expect(page.get_by_text("Bangkok Betta Farm")).to_be_visible()
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(tmp_path / f"betta-{viewport['width']}.png"), full_page=True)
