"""Files for people who open them in Excel: CSV where a cell that Excel would run as a formula is written as
text, and workbooks (.xlsx) of text cells."""
import csv
import io
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


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(title: str, header: list, rows, text_columns=()) -> bytes:
    """An Excel workbook of one sheet. Every str is a text cell, never a formula (openpyxl would take "=…" as
    one), so no apostrophe is needed; the `text_columns` (indexes) are formatted as Text, so that Excel keeps
    the leading 0 of a registration number or phone, and keeps it on a number typed there later."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index in range(len(header)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 18

    def cell(value, index, bold=False):
        one = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            one.data_type = "s"
        if index in text_columns:
            one.number_format = "@"
        if bold:
            one.font = Font(bold=True)
        return one

    sheet.append([cell(str(value), index, bold=True) for index, value in enumerate(header)])
    for row in rows:
        sheet.append([cell(value, index) for index, value in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_download(sheet: str, header: list, rows, fmt: str, filename: str):
    """A table as an attachment: CSV (UTF-8 with a BOM, which Excel needs to read Thai; formulas written as
    text) when fmt is "csv", else an .xlsx workbook of text cells."""
    from flask import Response

    if fmt == "csv":
        out = io.StringIO()
        writer = SpreadsheetWriter(out)
        writer.writerow(header)
        writer.writerows(rows)
        data, mimetype = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    else:
        data, mimetype = workbook_bytes(sheet, header, rows), XLSX_MIMETYPE
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}"})
