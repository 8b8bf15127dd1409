"""portal.glossary.services: staff add, correct, retire and restore pairs; every bad input is refused with a
translated message and writes nothing; each change is audited. And the seed CSV: every row passes."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.auth.models import Role
from portal.db import unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.glossary import queries, services
from portal.glossary.models import GlossaryEntry
from tests import factories


@pytest.fixture
def staff(ctx):
    return factories.user(role=Role.STAFF)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_add_keeps_the_terms_as_typed_and_the_keys_normalised(staff):
    entry = services.add_entry(staff, "  ทุเรียน\u200bหมอนทอง ", "Monthong  Durian")
    assert (entry.term_th, entry.term_en) == ("ทุเรียนหมอนทอง", "Monthong Durian")
    assert (entry.key_th, entry.key_en) == ("ทุเรียนหมอนทอง", "monthong durian")
    assert entry.created_by_id == staff.id and entry.is_active
    audit = db.session.scalar(select(AuditEntry))
    assert (audit.action, audit.target_type, audit.target_id, audit.actor_id) == (
        "glossary.added", "glossary_entries", entry.id, staff.id)
    assert audit.details == {"term_th": "ทุเรียนหมอนทอง", "term_en": "Monthong Durian"}


def test_a_word_may_have_several_translations(staff):
    services.add_entry(staff, "ปลากัด", "betta")
    services.add_entry(staff, "ปลากัด", "betta fish")
    services.add_entry(staff, "ปลากัดป่า", "betta")
    assert _count(GlossaryEntry) == 3


@pytest.mark.parametrize(("th", "en"), [("ทุเรียน", "durian"), ("ทุเรียน ", "DURIAN"), ("ทุเรียน", " Durian\u200b")])
def test_an_active_pair_is_not_added_twice(staff, th, en):
    services.add_entry(staff, "ทุเรียน", "durian")
    db.session.commit()
    with pytest.raises(RuleViolation) as refused, unit_of_work():
        services.add_entry(staff, th, en)
    with force_locale("en"):
        assert str(refused.value) == "The glossary already has this pair."
    assert _count(GlossaryEntry) == 1 and _actions() == ["glossary.added"]


BAD_INPUT = [  # (th, en) -> field, English message
    ("", "durian", "term_th", "Please enter the Thai term."),
    ("   ", "durian", "term_th", "Please enter the Thai term."),
    ("\u200b", "durian", "term_th", "Please enter the Thai term."),
    ("ทุเรียน", "", "term_en", "Please enter the English term."),
    ("ทุเรียน", " \t ", "term_en", "Please enter the English term."),
    ("durian", "durian", "term_th", "The Thai term must be written in Thai."),
    ("123", "durian", "term_th", "The Thai term must be written in Thai."),
    ("ทุเรียน", "ทุเรียน", "term_en", "The English term must be written in Latin letters, without Thai."),
    ("ทุเรียน", "durian ทุเรียน", "term_en", "The English term must be written in Latin letters, without Thai."),
    ("ทุเรียน", "1234", "term_en", "The English term must be written in Latin letters, without Thai."),
    ("ทุเรียน", "дуриан", "term_en", "The English term must be written in Latin letters, without Thai."),
    ("ก" * 101, "durian", "term_th", "A term can be at most 100 characters long."),
    ("ทุเรียน", "d" * 101, "term_en", "A term can be at most 100 characters long."),
    ("ทุเรียน", "fresh durian from the farm", "term_en",
     "A term can have at most 3 words: searches match no longer phrases."),
]


@pytest.mark.parametrize(("th", "en", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_translated_message_and_nothing_written(staff, th, en, field, message):
    with pytest.raises(RuleViolation) as refused, unit_of_work():
        services.add_entry(staff, th, en)
    assert refused.value.field == field
    with force_locale("en"):
        assert str(refused.value) == message
    with force_locale("th"):
        assert str(refused.value) != message and str(refused.value)  # translated
    assert _count(GlossaryEntry) == 0 and _count(AuditEntry) == 0


def test_a_hundred_characters_and_three_words_are_allowed(staff):
    services.add_entry(staff, "ก" * 100, "d" * 100)
    services.add_entry(staff, "น้ำ มะพร้าว อ่อน", "young coconut water")
    assert _count(GlossaryEntry) == 2


@pytest.mark.parametrize("role", [Role.MEMBER, None])
def test_only_staff_change_the_glossary(ctx, role):
    from flask_login import AnonymousUserMixin

    actor = factories.user(role=role) if role else AnonymousUserMixin()
    with pytest.raises(PermissionDenied):
        services.add_entry(actor, "ทุเรียน", "durian")
    assert _count(GlossaryEntry) == 0


def test_update_corrects_the_pair_and_audits_before_and_after(staff):
    entry = services.add_entry(staff, "ทุเรียน", "durain")
    services.update_entry(staff, entry, "ทุเรียน", "Durian")
    assert (entry.term_en, entry.key_en) == ("Durian", "durian")
    audit = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[-1]
    assert audit.action == "glossary.updated"
    assert audit.details == {"before": {"term_th": "ทุเรียน", "term_en": "durain"},
                             "after": {"term_th": "ทุเรียน", "term_en": "Durian"}}
    assert queries.alternatives(["durian"]) == [["durian", "ทุเรียน"]]
    assert queries.alternatives(["durain"]) == [["durain"]]


def test_update_refuses_bad_input_and_duplicates(staff):
    services.add_entry(staff, "ทุเรียน", "durian")
    other = services.add_entry(staff, "มะพร้าว", "coconut")
    db.session.commit()
    for th, en in (("ทุเรียน", "durian"), ("", "coconut"), ("มะพร้าว", "มะพร้าว")):
        with pytest.raises(RuleViolation), unit_of_work():
            services.update_entry(staff, other, th, en)
        db.session.refresh(other)
        assert (other.term_th, other.term_en) == ("มะพร้าว", "coconut")
    assert _actions() == ["glossary.added", "glossary.added"]


def test_retire_and_restore(staff):
    entry = services.add_entry(staff, "ทุเรียน", "durian")
    services.retire_entry(staff, entry)
    assert not entry.is_active and entry.retired_by_id == staff.id
    assert queries.alternatives(["durian"]) == [["durian"]]
    with pytest.raises(RuleViolation):
        services.retire_entry(staff, entry)
    with pytest.raises(RuleViolation):
        services.update_entry(staff, entry, "ทุเรียน", "durians")
    services.restore_entry(staff, entry)
    assert entry.is_active and entry.retired_at is None
    assert queries.alternatives(["durian"]) == [["durian", "ทุเรียน"]]
    with pytest.raises(RuleViolation):
        services.restore_entry(staff, entry)
    assert _actions() == ["glossary.added", "glossary.retired", "glossary.restored"]
    assert _count(GlossaryEntry) == 1  # never deleted


def test_a_retired_pair_may_be_added_again_and_then_not_restored(staff):
    old = services.add_entry(staff, "ทุเรียน", "durian")
    services.retire_entry(staff, old)
    services.add_entry(staff, "ทุเรียน", "Durian")
    db.session.commit()
    with pytest.raises(RuleViolation) as refused, unit_of_work():
        services.restore_entry(staff, old)
    with force_locale("en"):
        assert str(refused.value) == "The glossary already has this pair."
    assert not db.session.get(GlossaryEntry, old.id).is_active


def test_audit_labels_name_the_glossary_actions(ctx):
    from portal.audit_labels import action_label, target_label

    with force_locale("en"):
        assert action_label("glossary.retired") == "Glossary entry retired"
        assert target_label("glossary_entries", 4) == "Glossary entry #4"
    with force_locale("th"):
        assert action_label("glossary.added") == "เพิ่มคู่คำค้นสองภาษา"


# --- the seed CSV -------------------------------------------------------------------------------------

def test_every_csv_row_passes_the_rules_once(ctx):
    pairs = services.csv_pairs()
    assert 150 <= len(pairs) <= 300
    keys = []
    for th, en in pairs:
        term_th, term_en = services.check_pair(th, en)
        assert (term_th, term_en) == (th, en), "write the CSV's terms as they are kept"
        keys.append((services.normalise(th), services.normalise(en)))
    assert len(keys) == len(set(keys)), "a pair appears twice"
    for pair in [("ปลากัด", "betta"), ("ปลากัด", "betta fish"), ("ทุเรียน", "durian"), ("มะพร้าว", "coconut"),
                 ("น้ำมะพร้าว", "coconut water"), ("คอสเพลย์", "cosplay"), ("กล้วยไม้", "orchid"),
                 ("ไม้ประดับ", "ornamental plants"), ("สมุนไพร", "herb"), ("ส่งออก", "export")]:
        assert pair in keys


def test_load_csv_adds_the_missing_pairs_only(staff):
    added = services.add_entry(staff, "ทุเรียน", "durian")
    services.retire_entry(staff, added)
    services.add_entry(staff, "ปลากัด", "betta")
    loaded = services.load_csv()
    assert loaded == len(services.csv_pairs()) - 2
    assert services.load_csv() == 0
    assert queries.alternatives(["durian"]) == [["durian"]]  # retired by staff: stays retired
    assert queries.alternatives(["มะพร้าว"]) == [["มะพร้าว", "coconut"]]


def test_flask_glossary_load_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["glossary", "load"])
    assert first.exit_code == 0 and f"{len(set(services.csv_pairs()))} pairs added" in first.output
    again = runner.invoke(args=["glossary", "load"])
    assert again.exit_code == 0 and "0 pairs added" in again.output
