"""An uploaded member list as rows of text, whatever made it: CSV (UTF-8, or Windows-874 as Thai Excel saves
"CSV"; comma, semicolon or tab) or an Excel workbook (.xlsx). Anything else is refused with a message that
says so, never read as a CSV whose columns are missing."""
import csv
import io
import logging
import unicodedata
import zipfile
from datetime import date, datetime, time

from portal.i18n import format_number
from portal.i18n import gettext as _

log = logging.getLogger(__name__)

MAX_COLUMNS = 100
# A workbook is a zip: what it unpacks to is capped, not only what was uploaded (a "zip bomb").
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Other files people pick by mistake, known by their first bytes: PDF, old Office (.xls, .doc), PNG, JPEG,
# GIF, gzip, RTF. A zip is looked into: a workbook is read, any other (.docx, .ods …) is refused.
NOT_A_TABLE = (b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"{\\rtf")
ZIP = b"PK\x03\x04"
# Tab, line ends, and the vertical tab and form feed that Excel may leave in a cell; other control
# characters do not occur in text.
TEXT_CONTROLS = frozenset("\t\n\r\x0b\x0c")


class Unreadable(Exception):
    """The file cannot be read as a table: `line` (0 for the whole file) and a translated message."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def read_table(data: bytes, max_rows: int) -> list[list[str]]:
    """The file's rows as lists of text, first row first. Reads at most `max_rows` rows that are not blank
    (then stops: the caller says a file is too long). :raises Unreadable:"""
    if data.startswith(ZIP):
        return _read_workbook(data, max_rows)
    if data.startswith(NOT_A_TABLE):
        raise Unreadable(0, _not_a_table())
    text = decode(data)
    if any(unicodedata.category(ch) == "Cc" and ch not in TEXT_CONTROLS for ch in text):
        raise Unreadable(0, _not_a_table())
    first_line = next(iter(text.splitlines()), "")
    # Excel writes "," or, in some locales, ";" (or tabs): take the one the header uses most. The rest of
    # the dialect stays Excel's (doubled quotes inside quoted cells), which csv.Sniffer can guess wrong.
    return _records(text, max(",;\t", key=first_line.count))


def _not_a_table() -> str:
    return _("This is not a CSV or Excel file. Save the member list as CSV UTF-8 or as an Excel workbook "
             "(.xlsx) and upload that file.")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, as Thai Excel saves "CSV", Windows-874. :raises Unreadable:

    NUL characters mean another encoding (Excel's "Unicode text" is UTF-16) or not text at all; they
    would also be refused by PostgreSQL when the rows are saved."""
    if b"\x00" not in data:
        for encoding in ("utf-8-sig", "cp874"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise Unreadable(0, _("The file is not UTF-8 or Thai Windows text. Save it as CSV UTF-8 and try again."))


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The file's records; the first one the csv module cannot read is Unreadable at its line.

    Lines are counted in records, as a spreadsheet numbers its rows. Strict: a quoted cell that is never
    closed would otherwise swallow the rest of the file into one cell, and its rows would be lost unseen."""
    # Universal newlines: files saved by old Mac Excel end their lines with "\r" alone.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter, strict=True)
    records = []
    while True:
        try:
            records.append(next(reader))
        except StopIteration:
            return records
        except csv.Error as exc:
            line = len(records) + 1
            if str(exc).startswith("field larger than field limit"):
                raise Unreadable(line, _("A cell is longer than %(num)s characters.",
                                         num=format_number(csv.field_size_limit()))) from None
            raise Unreadable(line, _("A quoted cell is not closed, or has other characters after its closing "
                                     "quote. Check the quotes and try again.")) from None


def _read_workbook(data: bytes, max_rows: int) -> list[list[str]]:
    """The first sheet of an .xlsx workbook, as the values Excel last showed (data_only: a formula gives
    its result, never its text). Read-only mode streams the sheet; expat (2.4 and later) refuses the XML
    entity expansions of a "billion laughs" file."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Unreadable(0, _not_a_table()) from None
    if "xl/workbook.xml" not in names:
        raise Unreadable(0, _not_a_table())
    if unpacked > MAX_UNPACKED_BYTES:
        raise Unreadable(0, _("This Excel file is too large. Keep only the member list in it, or save it as "
                              "CSV UTF-8."))
    rows, kept = [], 0
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                row = [_cell_text(value) for value in values]
                while row and not row[-1]:
                    row.pop()
                rows.append(row)
                kept += any(cell.strip() for cell in row)
                if kept > max_rows:
                    break
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - a damaged workbook can fail anywhere in openpyxl; it is the file's fault
        log.info("unreadable workbook uploaded", exc_info=True)
        raise Unreadable(0, _("This Excel file is damaged or cannot be read. Open it in Excel, save it again as "
                              "an Excel workbook (.xlsx) or CSV UTF-8, and upload that file.")) from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows


def _cell_text(value) -> str:
    """A cell as the text a CSV would hold. Excel keeps typed numbers as numbers: a registration number or
    phone that lost its leading 0 comes as 105567000129 (an int, or a float such as 105567000129.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
