"""The Thai catalogue is complete: every message in the code and templates has a real Thai translation."""
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from portal.cli import EXTRACT_ARGS

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "th" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _extracted(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *EXTRACT_ARGS, "-o", str(pot), "."],
        check=True, cwd=ROOT, capture_output=True,
    )
    with pot.open("rb") as handle:
        return read_po(handle)


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="th")


def _key(message):
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _strings(message):
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_every_extracted_message_is_in_the_thai_catalogue(tmp_path):
    extracted = {_key(m) for m in _extracted(tmp_path) if m.id}
    known = {_key(m) for m in _catalogue() if m.id}
    missing = sorted(extracted - known)
    assert not missing, f"Run `flask translate update` and translate: {missing}"
    assert len(extracted) > 50  # the extraction really found the templates and code


def test_no_message_is_untranslated_fuzzy_or_obsolete():
    catalogue = _catalogue()
    untranslated = [_key(m) for m in catalogue if m.id and not all(s.strip() for s in _strings(m))]
    fuzzy = [_key(m) for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert not catalogue.obsolete, f"obsolete entries: {list(catalogue.obsolete)}"


def test_translations_keep_every_placeholder():
    for message in _catalogue():
        if not message.id:
            continue
        expected = set(PLACEHOLDER.findall(_key(message)))
        for string in _strings(message):
            assert set(PLACEHOLDER.findall(string)) == expected, (message.id, string)


def test_translations_are_thai():
    """A copied English msgstr is not a translation: each should contain Thai script."""
    for message in _catalogue():
        if message.id:
            for string in _strings(message):
                assert re.search(r"[\u0e00-\u0e7f]", string), (message.id, string)


def test_thai_has_one_plural_form():
    assert _catalogue().plural_forms == "nplurals=1; plural=0;"
