"""The one text form that stored records and typed queries are compared in, and Thai words.

`normalise` makes the ways people really type the same Thai word equal: NFC, case-folded, invisible
characters dropped (zero-width spaces, joiners, BOM), Thai digits as Arabic digits (๒๕๖๙ = 2569), เ+เ as แ,
nikhahit + sara aa (ํา) as sara am (ำ), a tone mark typed before the vowel above it put after it, and a
mark typed twice kept once. Both the stored `search_text` and every query go through it, so the variants
find the same records. `words` splits Thai text into dictionary words (PyThaiNLP's newmm, whose
dictionary ships inside the wheel: nothing is downloaded) for ranking whole words above parts of words.
"""
import os
import re
import unicodedata
from functools import lru_cache

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")  # never write a data directory under $HOME

MAX_TERMS = 8
WORD_COLUMNS = ("words_name", "words_products", "words_body")  # a record's words by rank (record_fields)
MAX_TERM_LENGTH = 100

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_TONES = "\u0e48\u0e49\u0e4a\u0e4b"  # ่ ้ ๊ ๋
_ABOVE = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e47"  # ั ิ ี ึ ื ็ (vowels and signs above the consonant)
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # every Thai combining mark
_TONE_BEFORE_VOWEL = re.compile(f"([{_TONES}\u0e4c])([{_ABOVE}\u0e38\u0e39\u0e3a])")
_DOUBLED_MARK = re.compile(f"([{_MARKS}])\\1+")
_THAI_LETTER = re.compile("[\u0e01-\u0e4e]")
_TOKEN = re.compile("[\\w\u0e01-\u0e4e]+")  # letters, digits and Thai marks: punctuation separates words
_SPLIT_AM = re.compile(f"\u0e4d([{_TONES}]?)\u0e32")  # ํา, or ํ ้ า: sara am typed in two keys


def normalise(value: str | None) -> str:
    """The form both the stored text and the query terms take (see the module's docstring)."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n ")
    value = value.translate(_THAI_DIGITS).replace("\u0e40\u0e40", "\u0e41")
    value = _SPLIT_AM.sub("\\1\u0e33", value)
    value = _TONE_BEFORE_VOWEL.sub(r"\2\1", value)
    value = _DOUBLED_MARK.sub(r"\1", value)
    return " ".join(value.casefold().split())


SENTINEL = "  "  # every occurrence of a term is followed by at least two characters (see search.sql)


def search_text(*fields) -> str:
    return normalise(" ".join(f for f in fields if f)) + SENTINEL


def terms(query: str | None) -> list[str]:
    """Distinct terms of a query, in order, at most MAX_TERMS of at most MAX_TERM_LENGTH characters."""
    seen = []
    for term in normalise(query).split():
        term = term[:MAX_TERM_LENGTH]
        if term not in seen:
            seen.append(term)
    return seen[:MAX_TERMS]


@lru_cache(maxsize=1)
def _segmenter():
    from pythainlp.tokenize import word_tokenize  # 0.5 s to import: only when Thai text is first segmented

    return word_tokenize


def load_dictionary() -> None:
    """Load the segmenter and build its dictionary now: PyThaiNLP builds the dictionary's trie (62,000 words)
    when Thai text is first cut, 0.6 s and 75 MB of a process. wsgi.py calls this before gunicorn forks its
    workers (preload_app): they then share that copy, and no worker's first Thai search or edit waits for it (a
    worker is replaced every GUNICORN_MAX_REQUESTS requests)."""
    _segmenter()("ปลากัด", engine="newmm", keep_whitespace=False)


@lru_cache(maxsize=1)
def dictionary() -> frozenset:
    """The Thai words the segmenter knows (PyThaiNLP's dictionary, 62,000 words shipped in its wheel)."""
    from pythainlp.corpus import thai_words

    return thai_words()


def has_thai(value: str) -> bool:
    """Whether the text has a Thai letter or mark."""
    return bool(_THAI_LETTER.search(value))


@lru_cache(maxsize=4096)
def _thai_words(chunk: str) -> tuple[str, ...]:
    return tuple(w for w in _segmenter()(chunk, engine="newmm", keep_whitespace=False) if w.strip())


def words(value: str | None) -> list[str]:
    """The normalised text as words: Latin and digit runs split on spaces, Thai runs cut into dictionary
    words (ฟาร์มปลากัดบางกอก → ฟาร์ม ปลากัด บางกอก; a word outside the dictionary stays whole)."""
    result = []
    for chunk in _TOKEN.findall(normalise(value)):
        if has_thai(chunk):
            result.extend(_thai_words(chunk))
        else:
            result.append(chunk)
    return result


def word_text(*fields) -> str:
    """The words of the fields as one string with a space before and after every word, so that
    " word " is found in it exactly when the word is one of its words."""
    found = words(" ".join(f for f in fields if f))
    return " " + " ".join(found) + " " if found else ""


def record_fields(name: tuple, products: tuple, body: tuple) -> dict:
    """The derived search columns of a record from its fields by rank (name or title first, then products,
    then description or details): the substring text over all of them and the words of each rank."""
    return {"search_text": search_text(*name, *body, *products), "words_name": word_text(*name),
            "words_products": word_text(*products), "words_body": word_text(*body)}
