"""Staff keep the glossary: add, correct, retire and restore pairs. Each change is checked, flushed (the
caller commits) and audited. `load_csv` adds the pairs of portal/data/glossary.csv that are missing."""
import csv
import logging
import unicodedata
from importlib import resources

from sqlalchemy import select

from portal import audit
from portal.db import flush_or_refuse, utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.glossary.models import TERM_LENGTH, GlossaryEntry
from portal.i18n import lazy_gettext as _l
from portal.permissions import can_edit_glossary
from portal.search import normalise

log = logging.getLogger(__name__)

MAX_WORDS = 3  # a search matches an entry on at most three consecutive words (queries.alternatives)
DUPLICATE = _l("The glossary already has this pair.")


def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def _is_thai_letter(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e5b"


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


def clean(value: str | None) -> str:
    """A term as it is kept: invisible characters (zero-width spaces, controls) dropped, spaces collapsed."""
    value = unicodedata.normalize("NFC", value or "")
    kept = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n\r ")
    return " ".join(kept.split())


def _check_side(term: str, field: str, required, thai: bool) -> None:
    if not term:
        raise RuleViolation(required, field)
    key = normalise(term)
    if len(term) > TERM_LENGTH or len(key) > TERM_LENGTH:
        raise RuleViolation(_l("A term can be at most %(num)s characters long.", num=TERM_LENGTH), field)
    if len(key.split()) > MAX_WORDS:
        raise RuleViolation(_l("A term can have at most %(num)s words: searches match no longer phrases.",
                               num=MAX_WORDS), field)
    if thai and not any(_is_thai_letter(ch) for ch in term):
        raise RuleViolation(_l("The Thai term must be written in Thai."), field)
    if not thai and (any(_is_thai(ch) for ch in term) or not any(_is_latin_letter(ch) for ch in term)):
        raise RuleViolation(_l("The English term must be written in Latin letters, without Thai."), field)


def check_pair(term_th: str | None, term_en: str | None) -> tuple[str, str]:
    """The pair as it is kept (clean), once each side passes the rules; RuleViolation naming the field else."""
    term_th, term_en = clean(term_th), clean(term_en)
    _check_side(term_th, "term_th", _l("Please enter the Thai term."), thai=True)
    _check_side(term_en, "term_en", _l("Please enter the English term."), thai=False)
    return term_th, term_en


def _active_duplicate(key_th: str, key_en: str, entry_id: int | None = None) -> bool:
    query = select(GlossaryEntry.id).where(GlossaryEntry.key_th == key_th, GlossaryEntry.key_en == key_en,
                                           GlossaryEntry.retired_at.is_(None))
    if entry_id is not None:
        query = query.where(GlossaryEntry.id != entry_id)
    return db.session.scalar(query.limit(1)) is not None


def _guard(actor) -> None:
    if not can_edit_glossary(actor):
        raise PermissionDenied()


def add_entry(actor, term_th: str, term_en: str) -> GlossaryEntry:
    """OSMEP staff add a Thai / English pair; the next search uses it. An active pair is not added twice."""
    _guard(actor)
    term_th, term_en = check_pair(term_th, term_en)
    key_th, key_en = normalise(term_th), normalise(term_en)
    if _active_duplicate(key_th, key_en):
        raise RuleViolation(DUPLICATE)
    entry = GlossaryEntry(term_th=term_th, term_en=term_en, key_th=key_th, key_en=key_en,
                          created_by_id=getattr(actor, "id", None))
    db.session.add(entry)
    flush_or_refuse(DUPLICATE)  # the same pair added at the same moment by someone else
    audit.record(actor, "glossary.added", entry, term_th=term_th, term_en=term_en)
    log.info("glossary entry %s (%s / %s) added by %s", entry.id, key_th, key_en, getattr(actor, "id", None))
    return entry


def update_entry(actor, entry: GlossaryEntry, term_th: str, term_en: str) -> GlossaryEntry:
    """Staff correct an active entry's terms (a retired one is restored first)."""
    _guard(actor)
    if not entry.is_active:
        raise RuleViolation(_l("This entry is retired: restore it before editing it."))
    term_th, term_en = check_pair(term_th, term_en)
    if (term_th, term_en) == (entry.term_th, entry.term_en):
        return entry
    key_th, key_en = normalise(term_th), normalise(term_en)
    if _active_duplicate(key_th, key_en, entry.id):
        raise RuleViolation(DUPLICATE)
    before = {"term_th": entry.term_th, "term_en": entry.term_en}
    entry.term_th, entry.term_en, entry.key_th, entry.key_en = term_th, term_en, key_th, key_en
    flush_or_refuse(DUPLICATE)
    audit.record(actor, "glossary.updated", entry, before=before, after={"term_th": term_th, "term_en": term_en})
    log.info("glossary entry %s changed to %s / %s by %s", entry.id, key_th, key_en, getattr(actor, "id", None))
    return entry


def retire_entry(actor, entry: GlossaryEntry) -> GlossaryEntry:
    """Staff retire an entry: searches stop using it; it stays listed, to be restored."""
    _guard(actor)
    if not entry.is_active:
        raise RuleViolation(_l("This entry is already retired."))
    entry.retired_at, entry.retired_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "glossary.retired", entry, term_th=entry.term_th, term_en=entry.term_en)
    log.info("glossary entry %s retired by %s", entry.id, getattr(actor, "id", None))
    return entry


def restore_entry(actor, entry: GlossaryEntry) -> GlossaryEntry:
    """Staff restore a retired entry, unless the same pair has been added again meanwhile."""
    _guard(actor)
    if entry.is_active:
        raise RuleViolation(_l("This entry is in use already."))
    if _active_duplicate(entry.key_th, entry.key_en, entry.id):
        raise RuleViolation(DUPLICATE)
    entry.retired_at, entry.retired_by_id = None, None
    flush_or_refuse(DUPLICATE)
    audit.record(actor, "glossary.restored", entry, term_th=entry.term_th, term_en=entry.term_en)
    log.info("glossary entry %s restored by %s", entry.id, getattr(actor, "id", None))
    return entry


def csv_pairs() -> list[tuple[str, str]]:
    """The (th, en) rows of portal/data/glossary.csv, as written."""
    source = resources.files("portal") / "data" / "glossary.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        return [(row["th"], row["en"]) for row in csv.DictReader(handle)]


def load_csv() -> int:
    """Add the CSV's pairs that the glossary has never had (an entry staff retired stays retired); flush-only.
    Returns how many were added."""
    known = {tuple(row) for row in db.session.execute(select(GlossaryEntry.key_th, GlossaryEntry.key_en))}
    added = 0
    for th, en in csv_pairs():
        term_th, term_en = check_pair(th, en)
        keys = (normalise(term_th), normalise(term_en))
        if keys in known:
            continue
        known.add(keys)
        db.session.add(GlossaryEntry(term_th=term_th, term_en=term_en, key_th=keys[0], key_en=keys[1]))
        added += 1
    db.session.flush()
    return added
