"""CSV files for people who open them in Excel: a cell that Excel would run as a formula is written as text."""
import csv
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d[\d.,]*")


def safe_cell(value):
    """Text that starts like a formula (=, +, -, @, tab, CR) gets a leading apostrophe, which Excel shows as
    text instead of running it ("CSV injection": a firm named =HYPERLINK(…) in a coordinator's member list).
    Numbers such as +66812345678 or -5 stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def unquote_cell(value: str) -> str:
    """The text safe_cell protected, as it was: an import of our own export changes nothing."""
    if value.startswith("'") and safe_cell(value[1:]) == value:
        return value[1:]
    return value


class SpreadsheetWriter:
    """csv.writer with Excel's line endings, every cell passed through safe_cell."""

    def __init__(self, out):
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row):
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)
