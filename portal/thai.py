"""Thai-language facts that are not translation: collation order, the Buddhist Era, the fiscal year.

Pure functions, no Flask, so that models, queries, the CLI and tests share one definition.
"""
import unicodedata
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543  # พ.ศ. = ค.ศ. + 543

_LEADING_VOWELS = "\u0e40\u0e41\u0e42\u0e43\u0e44"  # เ แ โ ใ ไ
_CONSONANTS = {chr(c) for c in range(0x0E01, 0x0E2F)}  # ก … ฮ
# Tone marks and signs that do not change primary order: ่ ้ ๊ ๋, ็ (ไม้ไต่คู้), ์ (การันต์)
_MINOR_MARKS = {"\u0e48", "\u0e49", "\u0e4a", "\u0e4b", "\u0e47", "\u0e4c"}


def _logical_order(text: str) -> str:
    """Move each leading vowel after the consonant it is pronounced after (เก → กเ), as dictionaries do."""
    chars = list(text)
    i = 0
    while i < len(chars) - 1:
        if chars[i] in _LEADING_VOWELS and chars[i + 1] in _CONSONANTS:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            i += 2
        else:
            i += 1
    return "".join(chars)


def _weigh(ch: str) -> str:
    """Map one character so that plain code-point order becomes: symbols, digits, Thai, other letters."""
    code = ord(ch)
    if 0x0E00 <= code <= 0x0E7F:
        return chr(0x2000 + code - 0x0E00)
    if ch.isalpha():
        return chr(min(0x20000 + code, 0x10FFFF))
    return ch


def thai_sort_key(text: str | None) -> str:
    """Sort key for Thai dictionary order (กา เก ไก่ ขา ข้าว), agreeing with PostgreSQL's ICU `th`.

    Levels, as in ICU: letters with leading vowels moved after their consonant and tone marks ignored;
    then tone marks; then case (lower before upper). Thai sorts before Latin, as under ICU `th`.
    The result is a plain string, so it can be compared, stored or indexed anywhere (it contains no NUL,
    which PostgreSQL text refuses).
    """
    normal = unicodedata.normalize("NFC", text or "")
    logical = _logical_order(normal.casefold())
    # Accents on Latin letters count only at the second level (é ~ e), as in ICU; Thai marks are letters.
    unaccented = "".join(
        ch
        for ch in unicodedata.normalize("NFD", logical)
        if not (unicodedata.category(ch) == "Mn" and not 0x0E00 <= ord(ch) <= 0x0E7F)
    )
    primary = "".join(_weigh(ch) for ch in unicodedata.normalize("NFC", unaccented) if ch not in _MINOR_MARKS)
    secondary = "".join(_weigh(ch) for ch in logical)
    tertiary = normal.swapcase()
    return f"{primary}\x01{secondary}\x01{tertiary}"


def to_bangkok(moment: datetime) -> datetime:
    """An aware datetime in Bangkok time; naive values are taken as UTC (as the database stores them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BANGKOK)


def be_year(ce_year: int) -> int:
    """Buddhist Era year for a Common Era year: 2020 → 2563."""
    return ce_year + BE_OFFSET


def fiscal_year(moment: datetime | date) -> int:
    """Thai government fiscal year (ปีงบประมาณ), 1 October – 30 September, named by its ending B.E. year.

    A datetime is first converted to Bangkok time, so 30 Sep 2020 18:00 UTC (1 Oct 01:00 in Bangkok)
    already belongs to fiscal year 2564.
    """
    day = to_bangkok(moment).date() if isinstance(moment, datetime) else moment
    ending_ce = day.year + 1 if day.month >= 10 else day.year
    return be_year(ending_ce)


def year_days(year: int) -> tuple[date, date]:
    """The first and last day (Bangkok dates) of fiscal year `year` (B.E.): 1 Oct to 30 Sep."""
    ending = year - BE_OFFSET
    return date(ending - 1, 10, 1), date(ending, 9, 30)


def bangkok_today() -> date:
    """Today's date in Thailand: coordinator terms and fiscal years turn over at Bangkok midnight."""
    return datetime.now(BANGKOK).date()


# Thai marks written above or below a consonant; a syllable carries at most one of each class.
_ABOVE_VOWELS = frozenset("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e47")  # ั ิ ี ึ ื ็
_BELOW_VOWELS = frozenset("\u0e38\u0e39\u0e3a")  # ุ ู ฺ
_TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b")  # ่ ้ ๊ ๋
_MARK_CLASSES = (_ABOVE_VOWELS, _BELOW_VOWELS, _TONE_MARKS)


def collapse_marks(text: str) -> str:
    """Drop repeated combining marks on one character: ก่่่่า → ก่า, ก่้า → ก่า, e\u0301\u0301 → e\u0301.

    Keyboards repeat a tone mark when a key is held; stacked marks are drawn one above the other and cover
    the line above. Within the marks that follow one base character, a mark already there is dropped, and
    so is a second Thai above vowel, below vowel or tone mark (the first typed is kept).
    """
    if not text:
        return text
    out = []
    seen: set[str] = set()
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn":
            if ch in seen or any(ch in group and seen & group for group in _MARK_CLASSES):
                continue
            seen.add(ch)
        else:
            seen = set()
        out.append(ch)
    return "".join(out)
