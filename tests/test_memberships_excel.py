"""#17.7: the member export survives a round trip through Excel (saved as CSV or as .xlsx) and imports with no
error and no change; .xlsx in and out; files that are not tables are named as such; names of spaces refused."""
import csv
import io
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.clusters.models import Position
from portal.extensions import db
from portal.firms.models import Firm
from tests import factories
from tests.test_memberships_csv import NUMBERS, body, confirm, coordinator, members_of, upload  # noqa: F401

FORMULA = '=HYPERLINK("http://evil.example","คลิก")'
NOT_A_TABLE = ("This is not a CSV or Excel file. Save the member list as CSV UTF-8 or as an Excel workbook (.xlsx) "
               "and upload that file.")
# What Excel takes for a number when it opens a CSV: it keeps the number and forgets the text (0105… → 105…).
EXCEL_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


@pytest.fixture
def members(app, coordinator):  # noqa: F811
    """Besides the two Betta members: one with every contact, a LINE ID and a name that looks like a formula."""
    with app.app_context():
        firm = factories.firm(name_th=FORMULA, name_en="-Minus Betta", registration_number=NUMBERS[2],
                              phone="+6621234567", email="line@betta.example", line_id="@bettafarm")
        factories.membership(firm, factories.cluster("betta"), Position.MIDSTREAM, Position.DOWNSTREAM)
        db.session.commit()
    return coordinator


def excel_number(cell: str):
    return int(float(cell)) if EXCEL_NUMBER.fullmatch(cell) else cell


def saved_by_excel_as_csv(exported: bytes) -> bytes:
    """Open the CSV in Excel and save it as CSV UTF-8: numbers lose their leading 0 and their +, a cell our
    export guarded with an apostrophe keeps it as text, everything else stays as it was shown."""
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([[str(excel_number(cell)) for cell in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def saved_by_excel_as_xlsx(exported: bytes) -> bytes:
    """The same, saved as an Excel workbook: the numbers are number cells."""
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(exported.decode("utf-8-sig"))):
        book.active.append([excel_number(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def errors_in(response) -> list[str]:
    section = re.search(r'<section class="notice" role="alert".*?</section>', body(response), re.S)
    return re.findall(r"<li>(.*?)</li>", section.group(0), re.S) if section else []


def test_excel_would_mangle_the_csv_export_as_described(members):
    """The premise of the round trip: the export holds 0-prefixed numbers, guarded cells and Thai phones."""
    exported = members.get("/clusters/betta/manage/members.csv").data
    rows = {row[0]: row for row in csv.reader(io.StringIO(exported.decode("utf-8-sig")))}
    assert rows[NUMBERS[2]][1] == "'" + FORMULA and rows[NUMBERS[2]][8] == "'@bettafarm"
    assert rows[NUMBERS[2]][6] == "02 123 4567" and rows[NUMBERS[0]][6] == "081 234 5678"  # text to Excel, as typed
    saved = saved_by_excel_as_csv(exported).decode("utf-8-sig")
    assert "105567000129," in saved and NUMBERS[0] not in saved


@pytest.mark.parametrize("save", [saved_by_excel_as_csv, saved_by_excel_as_xlsx], ids=["csv", "xlsx"])
def test_an_export_saved_by_excel_imports_cleanly_and_changes_nothing(app, members, th, save):
    before = members_of(app, "betta")
    edited = save(members.get("/clusters/betta/manage/members.csv").data)
    same = upload(members, "betta", edited, name="members." + save.__name__[-4:])
    assert errors_in(same) == []
    assert th("Nothing to change.") in body(same)
    assert th("%(num)s row without change", plural="%(num)s rows without change", num=3) in body(same)
    # Into another cluster: the same firms (found by their numbers, none created twice) at the same positions.
    assert confirm(members, "cosplay", upload(members, "cosplay", edited)).status_code == 302
    assert members_of(app, "cosplay") == members_of(app, "betta") == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Firm)) == 3
        firm = db.session.scalar(select(Firm).where(Firm.registration_number == NUMBERS[2]))
        assert (firm.name_th, firm.line_id, firm.phone) == (FORMULA, "@bettafarm", "+6621234567")


def test_the_excel_export_keeps_the_zeros_and_imports_unchanged(app, members, th):
    response = members.get("/clusters/betta/manage/members.xlsx")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith("betta-members.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    number, name, phone, line_id = (rows[NUMBERS[2]][i] for i in (0, 1, 6, 8))
    assert number.data_type == "s" and number.number_format == "@"  # text: Excel keeps the 0
    assert (phone.value, phone.number_format) == ("02 123 4567", "@")
    assert (name.value, name.data_type) == (FORMULA, "s")  # a text cell, never a formula: no apostrophe needed
    assert line_id.value == "@bettafarm"
    assert sheet["A1"].value == "เลขทะเบียนนิติบุคคล"
    same = upload(members, "betta", response.data, name="betta-members.xlsx")
    assert errors_in(same) == [] and th("Nothing to change.") in body(same)
    confirm(members, "cosplay", upload(members, "cosplay", response.data, name="betta-members.xlsx"))
    assert members_of(app, "cosplay") == members_of(app, "betta")


def test_phones_as_excel_and_people_write_them_are_thai_numbers(app, coordinator):  # noqa: F811
    rows = [["Registration number", "Name in Thai", "Province", "Positions", "Phone"],
            ["0105536001247", "ร้านหนึ่ง", "Bangkok", "upstream", "+66812345678"],
            ["0105536001255", "ร้านสอง", "Bangkok", "upstream", "0812345679"],
            ["0105536001263", "ร้านสาม", "Bangkok", "upstream", 66812345670],  # +66… that Excel made a number
            ["0105536001271", "ร้านสี่", "Bangkok", "upstream", 21234567]]  # 02 123 4567 without its 0
    confirm(coordinator, "cosplay", upload(coordinator, "cosplay", workbook(rows), name="list.xlsx"))
    with app.app_context():
        phones = dict(db.session.execute(select(Firm.registration_number, Firm.phone)
                                         .where(Firm.registration_number.like("01055360012%"))).all())
    assert phones == {"0105536001247": "+66812345678", "0105536001255": "+66812345679",
                      "0105536001263": "+66812345670", "0105536001271": "+6621234567"}


def test_a_number_without_its_leading_zero_is_taken_only_when_its_check_digit_says_so(app, coordinator, th):  # noqa: F811
    content = ("Registration number,Name in Thai,Province,Positions\n"
               "105567000129,ชื่อไม่ใช้,Bangkok,midstream\n"  # Bangkok Betta Farm, as Excel saved it
               "105567000128,เลขผิด,Bangkok,upstream\n"
               "1.05567E+11,ปัดเศษ,Bangkok,upstream\n")
    page = body(upload(coordinator, "cosplay", content.encode()))
    assert th("The registration number %(number)s is not valid.", number="105567000128") in page
    assert th("Excel rounded the registration number to %(number)s: its digits are lost. Export the list as Excel "
              "(.xlsx), or format the column as Text and type the numbers again.", number="1.05567E+11") in page
    good = upload(coordinator, "cosplay", content.encode().split(b"105567000128")[0].rstrip(b"\n") + b"\n")
    assert errors_in(good) == [] and "ฟาร์มปลากัดบางกอก" in body(good)  # matched to the firm, not a new one
    assert NUMBERS[0] in body(good)


@pytest.mark.parametrize("content", [
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(1, 255)) * 4,
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,  # Excel 97-2003 (.xls)
    b"{\\rtf1\\ansi registration number, positions}",
    b"registration number,positions\n\x01\x02\x03\x04\x05\x06,\x07\x08\n",
], ids=["pdf", "pdf-binary", "xls", "rtf", "control-characters"])
def test_a_file_that_is_not_a_table_is_named_so(app, coordinator, th, content):  # noqa: F811
    response = upload(coordinator, "cosplay", content, name="members.pdf")
    assert response.status_code == 200
    assert errors_in(response) == [th(NOT_A_TABLE)]
    assert th("Missing column(s): %(columns)s.", columns="x").split("x")[0] not in body(response)
    assert members_of(app, "cosplay") == []


def test_a_word_document_or_a_broken_workbook_is_not_read(app, coordinator, th):  # noqa: F811
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert errors_in(upload(coordinator, "cosplay", docx.getvalue(), name="list.docx")) == [th(NOT_A_TABLE)]
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets>")
    assert errors_in(upload(coordinator, "cosplay", broken.getvalue(), name="list.xlsx")) == [th(
        "This Excel file is damaged or cannot be read. Open it in Excel, save it again as an Excel workbook (.xlsx) "
        "or CSV UTF-8, and upload that file.")]


def test_a_workbook_is_read_within_limits(app, coordinator, th, monkeypatch):  # noqa: F811
    from portal.memberships import csv_io, uploads

    monkeypatch.setattr(csv_io, "MAX_ROWS", 3)
    rows = [["Registration number", "Positions"]] + [[number, "upstream"] for number in [*NUMBERS, "0105536001247"]]
    page = body(upload(coordinator, "cosplay", workbook(rows), name="list.xlsx"))
    assert th("Line %(line)s", line=5) + ": " + th("A file may have at most %(num)s members.", num=3) in page
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 1000)
    assert errors_in(upload(coordinator, "cosplay", workbook(rows[:2]), name="list.xlsx")) == [th(
        "This Excel file is too large. Keep only the member list in it, or save it as CSV UTF-8.")]
    assert members_of(app, "cosplay") == []


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_name_of_only_spaces_is_refused_on_its_line(app, coordinator, th, kind):  # noqa: F811
    """#17.1 for imports: as on the web forms, a name of spaces is not a name (and a new firm needs one)."""
    rows = [["เลขทะเบียนนิติบุคคล", "ชื่อภาษาไทย", "ชื่อภาษาอังกฤษ", "จังหวัด", "ตำแหน่ง"],
            [NUMBERS[2], "   ", "Siam Wigs", "กรุงเทพมหานคร", "ต้นน้ำ"],
            [NUMBERS[0], "ฟาร์มปลากัดบางกอก", " \t ", "นครปฐม", "ต้นน้ำ"],
            ["0105536001247", "บริษัท ชุดคอสเพลย์ จำกัด", "", "กรุงเทพมหานคร", "กลางน้ำ"]]
    if kind == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        content = out.getvalue().encode()
    else:
        content = workbook(rows)
    response = upload(coordinator, "cosplay", content, name=f"list.{kind}")
    line = th("Line %(line)s", line=2) + ": "
    assert errors_in(response) == [
        line + th("The name in Thai is only spaces: write the name, or leave the cell empty."),
        th("Line %(line)s", line=3) + ": "
        + th("The name in English is only spaces: write the name, or leave the cell empty.")]
    assert members_of(app, "cosplay") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Firm)) == 2


def test_members_without_a_registration_number_or_with_an_old_phone_round_trip_too(app, members, th):
    """A person trading in their own name has no registration number: in the export that cell is empty, and
    the row is found again by its Thai name among the cluster's members. A phone that no longer passes the
    check (numbering plans change) is not an error where the import does not save it (existing firms)."""
    with app.app_context():
        person = factories.firm(name_th="นายสมชาย ปลากัด", phone="+66679166881")  # 067…: not (or no longer) valid
        factories.membership(person, factories.cluster("betta"), Position.UPSTREAM)
        db.session.commit()
    exported = members.get("/clusters/betta/manage/members.csv").data
    for edited in (exported, saved_by_excel_as_csv(exported), saved_by_excel_as_xlsx(exported)):
        same = upload(members, "betta", edited)
        assert errors_in(same) == [] and th("Nothing to change.") in body(same)
    moved = exported.decode("utf-8-sig").replace("นายสมชาย ปลากัด,,กรุงเทพมหานคร,ต้นน้ำ",
                                                 "นายสมชาย ปลากัด,,กรุงเทพมหานคร,กลางน้ำ")
    assert th("Positions change from %(before)s to %(after)s", before="ต้นน้ำ", after="กลางน้ำ") in body(
        upload(members, "betta", moved.encode()))
    # Elsewhere nobody has that name: without a number the firm cannot be found, nor made (it needs one).
    assert th("The registration number is missing.") in " ".join(errors_in(upload(members, "cosplay", exported)))
    with app.app_context():
        factories.membership(factories.firm(name_th="นายสมชาย ปลากัด"), factories.cluster("betta"))
        db.session.commit()
    assert th("Several members are called %(name)s: give the registration number.", name="นายสมชาย ปลากัด") in \
        " ".join(errors_in(upload(members, "betta", exported)))
    new_firm = ("Registration number,Name in Thai,Province,Positions,Phone\n"
                "0105536001247,ร้านใหม่,Bangkok,upstream,067 916 6881\n").encode()
    assert errors_in(upload(members, "cosplay", new_firm)) == [th("Line %(line)s", line=2) + ": " + th(
        "The phone number %(value)s is not a Thai number.", value="067 916 6881")]
