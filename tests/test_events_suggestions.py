"""Whom a registered firm might meet: suggestions on the attendees page, each with its reasons (what the other
offers that this firm seeks, in either language through the glossary; what it seeks that this firm offers; a
partner next along the value chain; a linked request seeking a position this firm holds). Never its owner's
other firm, never a firm it has already asked, never a firm with no reason but the place."""
import pytest
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.clusters.models import Position
from portal.collab import services as collab
from portal.events import services, suggestions
from portal.events.models import Registration
from portal.extensions import db
from portal.glossary.models import GlossaryEntry
from tests import factories
from tests.events_helpers import make_event
from tests.helpers import body, signed_in

P = Position


@pytest.fixture
def day(app):
    """A betta matching day: the farm (upstream, Bangkok) seeks bags and durian and offers halfmoon bettas.
    Returns the event's id, the registrations' ids by key, and the farm owner's e-mail."""
    with app.app_context():
        return _build()


def _build():
    betta = factories.cluster("betta")
    staff = factories.user(email="staff.s@example.com", role=Role.STAFF)
    owner = factories.user(email="farm.s@example.com")  # also owns "mine"
    db.session.add(GlossaryEntry(term_th="ทุเรียน", term_en="durian", key_th="ทุเรียน", key_en="durian"))
    event = make_event(staff, [betta.id])
    made = {}

    def attend(key, position, offers, seeks, team=None, province="10", **firm):
        f = factories.firm(province_code=province, **firm)
        factories.membership(f, betta, position)
        user = team or factories.user(email=f"{key}.s@example.com")
        factories.team_member(f, user, "owner")
        made[key] = services.register(user, event, f, "คุณทดสอบ", offers, seeks, [s.id for s in event.slots])
        return user

    attend("farm", P.UPSTREAM, "ปลากัดฮาล์ฟมูน", "ถุงบรรจุปลา durian", team=owner, name_th="ฟาร์มปลากัดบางแค")
    attend("bags", P.UPSTREAM, "ถุงบรรจุปลาพิมพ์ลาย", None, province="50", name_th="โรงงานถุงพลาสติกเชียงใหม่")
    attend("durian", P.UPSTREAM, None, None, province="50", name_th="สวนผลไม้ลำไย",
           description_th="ทุเรียนหมอนทองส่งออก")
    attend("exporter", P.DOWNSTREAM, None, "ปลากัด ส่งออก", province="50", name_th="บริษัทส่งออกสยาม")
    shop = attend("shop", P.MIDSTREAM, None, None, province="50", name_th="ร้านอาหารปลา")
    attend("nearby", P.UPSTREAM, "คอสเพลย์", None, name_th="ร้านชุดคอสเพลย์")  # Bangkok too, nothing else
    attend("mine", P.UPSTREAM, "ถุงบรรจุปลา", None, team=owner, name_th="โรงงานถุงของเจ้าของฟาร์ม")
    request = collab.post_request(shop, made["shop"].firm, {
        "cluster_id": betta.id, "kind": collab.Kind.SEEKING_SUPPLIER, "title_th": "หาผู้เพาะปลาต้นน้ำ",
        "title_en": "Upstream breeders wanted", "position_sought": P.UPSTREAM})
    made["shop"].requests = [request]
    db.session.commit()
    return event.id, {key: r.id for key, r in made.items()}, owner.email


def _suggested(app, regs, key, mine=(), ask=None) -> dict[str, list[str]]:
    """firm name -> reasons, best first, as suggested to `key` in English (`ask`: a firm it asks first)."""
    with app.test_request_context("/?lang=en"):
        registration = db.session.get(Registration, regs[key])
        if ask:
            owner = db.session.scalar(select(User).where(User.email == f"{key}.s@example.com"))
            services.request_meeting(owner, registration, db.session.get(Registration, regs[ask]), "ถุง")
        exclude = [db.session.get(Registration, regs[k]).firm_id for k in mine]
        found = {r.firm.name_th: reasons for r, reasons in suggestions.attendees_for(registration, exclude, 10)}
        db.session.rollback()
        return found


def test_suggestions_come_with_their_reasons_best_first(app, day):
    _event, regs, _owner = day
    found = _suggested(app, regs, "farm", mine=["mine"])
    # three of the words the farm seeks, in what the bag maker offers, weigh most
    assert list(found)[0] == "โรงงานถุงพลาสติกเชียงใหม่"
    assert found["โรงงานถุงพลาสติกเชียงใหม่"] == ["Offers what you seek: “ถุง, บรรจุ, ปลา”"]
    assert found["สวนผลไม้ลำไย"] == ["Offers what you seek: “durian”"]  # ทุเรียน, through the glossary
    assert found["บริษัทส่งออกสยาม"] == ["Seeks what you offer: “ปลากัด”"]
    assert found["ร้านอาหารปลา"][1:] == [
        "Their request “Upstream breeders wanted” seeks Upstream, a position your firm holds",
        "Midstream in Betta fish, next to your firm in the value chain"]
    assert "ร้านชุดคอสเพลย์" not in found  # only nearby: no reason to meet
    assert "โรงงานถุงของเจ้าของฟาร์ม" not in found  # the owner's other firm


def test_a_firm_already_asked_is_not_suggested_again(app, day):
    _event, regs, _owner = day
    assert "โรงงานถุงพลาสติกเชียงใหม่" in _suggested(app, regs, "farm")
    assert "โรงงานถุงพลาสติกเชียงใหม่" not in _suggested(app, regs, "farm", ask="bags")


def test_being_nearby_is_no_reason_on_its_own(app, day):
    """The cosplay shop in Bangkok has nothing in common with the Bangkok farm: only the fish-food shop,
    whose request seeks an upstream firm like it, is suggested to it."""
    _event, regs, _owner = day
    assert list(_suggested(app, regs, "nearby")) == ["ร้านอาหารปลา"]


def test_the_attendees_page_shows_suggestions_in_thai(app, day, th):
    event_id, regs, owner = day
    client = signed_in(app, owner)
    page = body(client.get(f"/events/{event_id}/attendees"))
    assert th("Suggested for %(firm)s", firm="ฟาร์มปลากัดบางแค") in page
    assert th("Offers what you seek: “%(words)s”", words="ถุง, บรรจุ, ปลา") in page
    filtered = body(client.get(f"/events/{event_id}/attendees?q=ถุง"))
    assert th("Suggested for %(firm)s", firm="ฟาร์มปลากัดบางแค") not in filtered  # a search shows results only
