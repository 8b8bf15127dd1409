"""The glossary's staff page: staff add a pair and the next search sees it; edit, retire and restore behind a
confirmation; coordinators, owners and anonymous visitors are kept out; bad input is a translated error that
changes nothing; the page is in Thai for Thai staff."""
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.extensions import db
from portal.glossary import queries
from portal.glossary.models import GlossaryEntry
from portal.search import normalise
from tests.helpers import body, signed_in


def _entries():
    return [(e.term_th, e.term_en, e.is_active) for e in db.session.scalars(select(GlossaryEntry)
                                                                             .order_by(GlossaryEntry.id))]


def _add(app, th, en):
    with app.app_context():
        entry = GlossaryEntry(term_th=th, term_en=en, key_th=normalise(th), key_en=normalise(en))
        db.session.add(entry)
        db.session.commit()
        return entry.id


def test_staff_add_a_pair_and_the_next_search_uses_it(app, cast):
    staff = signed_in(app, cast.email("staff"))
    response = staff.post("/admin/glossary/?lang=en", data={"term_th": "ทุเรียน", "term_en": "Durian"})
    assert response.status_code == 302 and response.location.startswith("/admin/glossary/")
    page = body(staff.get(response.location))
    assert "Added: ทุเรียน = Durian. The next search uses it." in page and "ทุเรียน" in page
    with app.app_context():
        assert queries.alternatives(["durian"]) == [["durian", "ทุเรียน"]]
        assert db.session.scalar(select(AuditEntry.action)) == "glossary.added"


def test_bad_input_is_a_translated_error_and_changes_nothing(app, cast, th):
    _add(app, "ทุเรียน", "durian")
    staff = signed_in(app, cast.email("staff"))
    for data, message in [
        ({"term_th": "", "term_en": "durian"}, "Please enter the Thai term."),
        ({"term_th": "durian", "term_en": "durian"}, "The Thai term must be written in Thai."),
        ({"term_th": "มะพร้าว", "term_en": "มะพร้าว"},
         "The English term must be written in Latin letters, without Thai."),
        ({"term_th": "ทุเรียน", "term_en": "DURIAN"}, "The glossary already has this pair."),
        ({"term_th": "ก" * 101, "term_en": "durian"}, "A term can be at most %(num)s characters long."),
        ({}, "Please enter the Thai term."),
    ]:
        response = staff.post("/admin/glossary/", data=data)  # staff read Thai
        assert response.status_code == 200, data
        page = body(response)
        assert 'aria-invalid="true"' in page or "error-summary" in page, data
        if message:
            expected = th(message, num=100) if "%(num)s" in message else th(message)
            assert expected in page, data
    assert staff.post("/admin/glossary/", data={"term_th": "มะพร้าว\x00", "term_en": "coconut"}).status_code == 400
    with app.app_context():
        assert _entries() == [("ทุเรียน", "durian", True)]
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_the_page_is_in_thai_for_thai_staff(app, cast, th):
    _add(app, "คอสเพลย์", "cosplay")
    page = body(signed_in(app, cast.email("staff")).get("/admin/glossary/"))
    assert '<html lang="th"' in page
    for msgid in ("Search glossary", "Add a pair", "Thai term", "English term", "In use", "Retire"):
        assert th(msgid) in page
    assert "คอสเพลย์" in page and "cosplay" in page
    assert th("Search glossary") in body(signed_in(app, cast.email("admin")).get("/"))  # the staff menu links it


def test_edit_retire_and_restore(app, cast):
    entry_id = _add(app, "ทุเรียน", "durain")
    staff = signed_in(app, cast.email("staff"))
    assert staff.get(f"/admin/glossary/{entry_id}/edit").status_code == 200
    refused = staff.post(f"/admin/glossary/{entry_id}/edit?lang=en", data={"term_th": "ทุเรียน", "term_en": ""})
    assert refused.status_code == 200 and "Please enter the English term." in body(refused)
    saved = staff.post(f"/admin/glossary/{entry_id}/edit", data={"term_th": "ทุเรียน", "term_en": "durian"})
    assert saved.status_code == 302
    confirm = staff.get(f"/admin/glossary/{entry_id}/retire?lang=en")
    assert confirm.status_code == 200 and "Retire ทุเรียน = durian?" in body(confirm)
    with app.app_context():
        assert queries.alternatives(["durian"]) == [["durian", "ทุเรียน"]]  # asking changes nothing
    assert staff.post(f"/admin/glossary/{entry_id}/retire").status_code == 302
    with app.app_context():
        assert queries.alternatives(["durian"]) == [["durian"]]
        assert _entries() == [("ทุเรียน", "durian", False)]
    retired = body(staff.get("/admin/glossary/?status=retired&lang=en"))
    assert "durian" in retired and f"/admin/glossary/{entry_id}/restore" in retired
    assert "durian" not in body(staff.get("/admin/glossary/?lang=en")).split("<tbody>")[1]
    assert staff.get(f"/admin/glossary/{entry_id}/edit").status_code == 302  # retired: restore first
    again = staff.post(f"/admin/glossary/{entry_id}/retire?lang=en", follow_redirects=True)
    assert "This entry is already retired." in body(again)
    assert staff.post(f"/admin/glossary/{entry_id}/restore").status_code == 302
    with app.app_context():
        assert queries.alternatives(["durian"]) == [["durian", "ทุเรียน"]]
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["glossary.updated", "glossary.retired", "glossary.restored"]


def test_the_list_filters_and_pages(app, cast, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for th, en in [("มะพร้าว", "coconut"), ("น้ำมะพร้าว", "coconut water"), ("น้ำมันมะพร้าว", "coconut oil"),
                   ("ทุเรียน", "durian")]:
        _add(app, th, en)
    staff = signed_in(app, cast.email("staff"))
    page = body(staff.get("/admin/glossary/?q=Coconut&lang=en"))
    assert "3 pairs" in page and "durian" not in page.split("<tbody>")[1] and 'rel="next"' in page
    assert "q=Coconut" in page.split('rel="next"')[0].rsplit("href=", 1)[1]
    second = body(staff.get("/admin/glossary/?q=coconut&page=2&lang=en"))
    assert "coconut water" in second
    assert staff.get("/admin/glossary/?status=nonsense&page=abc").status_code == 200


def test_only_staff_and_admins_reach_the_page(app, cast):
    entry_id = _add(app, "ทุเรียน", "durian")
    urls = ["/admin/glossary/", f"/admin/glossary/{entry_id}/edit", f"/admin/glossary/{entry_id}/retire",
            f"/admin/glossary/{entry_id}/restore"]
    anonymous = app.test_client()
    for url in urls:
        for method in ("GET", "POST"):
            response = anonymous.open(url, method=method, data={"term_th": "มะพร้าว", "term_en": "coconut"})
            assert response.status_code == 302 and "/auth/login" in response.location, (method, url)
    for who in ("coordinator", "owner", "other_coordinator"):
        client = signed_in(app, cast.email(who))
        for url in urls:
            for method in ("GET", "POST"):
                assert client.open(url, method=method, data={"term_th": "มะพร้าว", "term_en": "coconut"}
                                   ).status_code == 403, (who, method, url)
        assert "/admin/glossary/" not in body(client.get("/"))
    assert signed_in(app, cast.email("admin")).get("/admin/glossary/").status_code == 200
    with app.app_context():
        assert _entries() == [("ทุเรียน", "durian", True)]


def test_a_missing_entry_is_404(app, cast):
    staff = signed_in(app, cast.email("staff"))
    assert staff.get("/admin/glossary/999999/edit").status_code == 404
    assert staff.post("/admin/glossary/999999/retire").status_code == 404


def test_retire_needs_the_csrf_token(app, cast, monkeypatch):
    entry_id = _add(app, "ทุเรียน", "durian")
    staff = signed_in(app, cast.email("staff"))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert staff.post(f"/admin/glossary/{entry_id}/retire").status_code == 400
    with app.app_context():
        assert _entries() == [("ทุเรียน", "durian", True)]
