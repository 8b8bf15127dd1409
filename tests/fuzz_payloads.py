"""Hostile input for the fuzz tests: a fixed list that is sent once to every field, and hypothesis
strategies that mix the same ingredients at random."""
from hypothesis import strategies as st

THAI_STACKED = ("ก" + "\u0e48\u0e49\u0e4a\u0e4b") * 50  # tone marks stacked on one consonant
ZERO_WIDTH = "ปลา\u200bกัด\u200c zero\u200dwidth\ufeff"
BIDI = "\u202eevil.exe\u202c \u2067مرحبا\u2069 ไทย"
EMOJI = "🐟 👩\u200d👩\u200d👧\u200d👦 🏳\ufe0f\u200d🌈 👍🏽"
HUGE = ("ปลากัด betta " * 10_000)[:100_000]  # 100,000 characters (about 220 kB of UTF-8)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
MARKUP = (SCRIPT, IMG, SVG)
# What a page would contain if one of MARKUP were rendered as markup rather than text.
UNESCAPED = ("<script>alert(1)", "<img src=x onerror", "<svg onload")
# How Jinja writes SCRIPT as text: the proof that a stored value is shown, and shown escaped.
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

PAYLOADS = [
    # markup first: a write that succeeds with these is then looked for on the display pages
    SCRIPT, IMG, SVG, "{{ 7*7 }} %(name)s %s {0}",
    # databases: NUL (PostgreSQL refuses it in text), quotes, LIKE wildcards, backslash
    "a\x00b", "' OR \"1\"=\"1\" --", "50%_off\\",
    # text
    THAI_STACKED, ZERO_WIDTH + BIDI, EMOJI, HUGE, "line\r\nbreak\ttab\x0b\x1f",
    # numbers and dates out of range
    "0", "-1", "99999999999999999999999999", "1e309", "NaN", "sNaN", "๒๕๖๗", "0001-01-01", "9999-12-31",
    # nothing at all
    "", "   ",
]

# What only tries how the application reads and renders input, the same whatever the database: markup and
# template syntax (escaped by the templates), control characters, several values where one is expected. The
# PostgreSQL run leaves these to the SQLite run and sends the rest (PAYLOADS_FOR_DATABASE).
APPLICATION_ONLY = (SCRIPT, IMG, SVG, "{{ 7*7 }} %(name)s %s {0}", "line\r\nbreak\ttab\x0b\x1f")

# For path parameters that only match digits (<int:firm_id>): ids no table has, some beyond 64 bits.
NUMBERS = ["0", "2147483648", "9223372036854775808", "99999999999999999999999999"]

# A list sent where a single value is expected (the field repeated in the form or query string).
LISTS = [[SCRIPT, "\x00"], ["1", "2", "-1"], ["", ""]]
# Every payload whose handling can depend on the database: NUL, quotes and LIKE wildcards, long text and
# column lengths, four-byte characters, numbers past 32 and 64 bits, dates out of range, empty values.
PAYLOADS_FOR_DATABASE = ([p for p in PAYLOADS if p not in APPLICATION_ONLY]
                         + [values for values in LISTS if "\x00" in values])  # a repeated field carrying a NUL

_ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
    st.sampled_from(["\x00", "\u200b", "\u200c", "\u200d", "\ufeff", "\u202e", "\u2067", "\u2069",
                     "\u0e48", "\u0e49", "\u0e4a", "\u0e4b", "\u0e31", "ก", "ข", "'", '"', "<", ">", "&",
                     "%", "_", "\\", ";", "-", "\r", "\n", "👩", "\u200d", "🏽"]),
)

_FRAGMENTS = st.sampled_from([p for p in PAYLOADS if p and p != HUGE] + ["\x00", "'", "%", "_", "\\", "--", "/*",
                                                                        "UNION SELECT", "-0", "0", "2147483648"])


def text_values() -> st.SearchStrategy[str]:
    """One string: a known payload, random text of hostile characters, a number, or pieces glued."""
    return st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(_ALPHABET, max_size=60),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.lists(st.one_of(_FRAGMENTS, st.text(_ALPHABET, max_size=10)), min_size=2, max_size=5).map("".join),
        st.builds(lambda piece, n: piece * n, st.sampled_from(["ก\u0e48\u0e49", "x", "\u200b", "<"]),
                  st.integers(min_value=1_000, max_value=100_000)),
    )


def values() -> st.SearchStrategy[str | list[str]]:
    """A value for one form field or query parameter: usually a string, sometimes a list of them."""
    return st.one_of(text_values(), text_values(), text_values(), st.lists(text_values(), min_size=2, max_size=3))


def file_contents() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=2000), text_values().map(lambda s: s.encode("utf-8")),
                     st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))


def describe(value) -> str:
    """A short, readable form of a value for failure messages."""
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes {value[:20]!r}…>"
    if value == HUGE:
        return "HUGE (100,000 characters)"
    shown = repr(value)
    return shown if len(shown) <= 70 else f"{shown[:70]}… ({len(value)} characters)"
