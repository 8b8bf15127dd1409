"""Member lists as CSV: export for Excel (UTF-8 with BOM, Thai intact) and import of existing lists.

An import is planned first (what will change, and every bad row by line number) and applied only as
a whole, in one transaction: nothing is half-imported.
"""
import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.clusters.models import Cluster, Membership, MembershipStatus, Position
from portal.exports import SpreadsheetWriter, unquote_cell
from portal.extensions import db
from portal.firms.models import Firm, FirmMember, FirmSize, Province
from portal.i18n import format_be_date, format_number
from portal.permissions import can_view_firm_contacts
from portal.validators import normalise_registration_number, parse_thai_phone, registration_number_is_valid

MAX_ROWS = 5000
COLUMNS = [
    ("registration_number", _l("Registration number")),
    ("name_th", _l("Name in Thai")),
    ("name_en", _l("Name in English")),
    ("province", _l("Province")),
    ("positions", _l("Positions")),
    ("size", _l("Size")),
    ("phone", _l("Phone")),
    ("email", _l("Contact e-mail")),
    ("line_id", _l("LINE ID")),
    ("offers", _l("Offers")),
    ("seeks", _l("Seeks")),
    ("member_since", _l("Member since")),
    ("fiscal_year", _l("Fiscal year (B.E.)")),
]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Headers people write in their own spreadsheets, besides the export's labels in either language.
ALIASES = {
    "registration_number": ["เลขทะเบียน", "เลขทะเบียนนิติบุคคล", "เลขนิติบุคคล", "registration no", "juristic id"],
    "name_th": ["ชื่อ", "ชื่อกิจการ", "ชื่อภาษาไทย", "ชื่อไทย", "name", "thai name"],
    "name_en": ["ชื่อภาษาอังกฤษ", "ชื่ออังกฤษ", "english name"],
    "province": ["จังหวัด"],
    "positions": ["ตำแหน่ง", "ตำแหน่งในห่วงโซ่", "ตำแหน่งในห่วงโซ่คุณค่า", "position", "value chain"],
    "size": ["ขนาด", "ขนาดกิจการ"],
    "phone": ["โทรศัพท์", "เบอร์โทร", "เบอร์โทรศัพท์", "tel", "telephone", "mobile"],
    "email": ["อีเมล", "อีเมลติดต่อ", "email", "e-mail"],
    "line_id": ["ไลน์", "line", "ไอดีไลน์"],
    "offers": ["สิ่งที่เสนอ"],
    "seeks": ["สิ่งที่ต้องการ"],
}


def _labels(values, enum_class) -> dict[str, object]:
    """Every way a user may write a value: its code, and its label in Thai and in English."""
    table = {}
    for member in values:
        table[member.value] = member
        for locale in ("th", "en"):
            with force_locale(locale):
                table[str(member.label).casefold()] = member
    return table


# --- export -------------------------------------------------------------------------------------

def export_members(cluster: Cluster, locale: str, viewer) -> bytes:
    """The cluster's approved members as CSV bytes, headed in `locale`, with a BOM for Excel. Phone, e-mail
    and LINE are filled in only where `viewer` may see them on the firm's page (can_view_firm_contacts):
    one rule for pages and exports."""
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.cluster_id == cluster.id, Membership.status == MembershipStatus.APPROVED)
        .options(joinedload(Membership.firm).joinedload(Firm.province), selectinload(Membership.positions))
        .order_by(Membership.decided_at, Membership.id)
    ).all()
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    with force_locale(locale):
        writer.writerow([str(label) for _key, label in COLUMNS])
        for membership in memberships:
            firm = membership.firm
            positions = sorted((p.position for p in membership.positions), key=list(Position).index)
            phone, email, line_id = ((firm.phone, firm.email, firm.line_id) if can_view_firm_contacts(viewer, firm)
                                     else (None, None, None))
            writer.writerow([
                firm.registration_number or "",
                firm.name_th,
                firm.name_en or "",
                firm.province.name_th if locale == "th" else firm.province.name_en,
                ", ".join(str(p.label) for p in positions),
                str(firm.size.label),
                phone or "",
                email or "",
                line_id or "",
                membership.offers or "",
                membership.seeks or "",
                format_be_date(membership.decided_at, "medium", locale=locale) if membership.decided_at else "",
                membership.fiscal_year or "",
            ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- import -------------------------------------------------------------------------------------

@dataclass
class Row:
    line: int
    registration_number: str
    positions: list[Position]
    name_th: str = ""
    name_en: str = ""
    province_id: int | None = None
    size: FirmSize = FirmSize.MICRO
    phone: str | None = None
    email: str | None = None
    line_id: str | None = None
    offers: str | None = None
    seeks: str | None = None
    firm: Firm | None = None
    membership: Membership | None = None
    # new_firm | join | invite | approve_pending | update_positions | unchanged | invited_already | invitation_declined
    action: str = ""


# A firm with an owner is never enrolled by someone else's file: it is invited, and its owner decides.
# Rows that an import leaves as they are: nothing changes, nothing is sent.
NO_CHANGE = ("unchanged", "invited_already", "invitation_declined")


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def changes(self) -> int:
        return sum(1 for row in self.rows if row.action not in NO_CHANGE)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, as Thai Excel saves "CSV", Windows-874. :raises ValueError:

    NUL characters mean another encoding (Excel's "Unicode text" is UTF-16) or not text at all; they
    would also be refused by PostgreSQL when the rows are saved."""
    if b"\x00" in data:
        raise ValueError("encoding")
    for encoding in ("utf-8-sig", "cp874"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("encoding")


def _records(text: str, delimiter: str) -> tuple[list[list[str]], tuple[int, str] | None]:
    """The file's records, or the first one the csv module cannot read, as (line, problem).

    Lines are counted in records, as a spreadsheet numbers its rows. Strict: a quoted cell that is never
    closed would otherwise swallow the rest of the file into one cell, and its rows would be lost unseen."""
    # Universal newlines: files saved by old Mac Excel end their lines with "\r" alone.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter, strict=True)
    records = []
    while True:
        try:
            records.append(next(reader))
        except StopIteration:
            return records, None
        except csv.Error as exc:
            line = len(records) + 1
            if str(exc).startswith("field larger than field limit"):
                return records, (line, _("A cell is longer than %(num)s characters.",
                                         num=format_number(csv.field_size_limit())))
            return records, (line, _("A quoted cell is not closed, or has other characters after its closing "
                                     "quote. Check the quotes and try again."))


def _header_map() -> dict[str, str]:
    names = {alias.casefold(): key for key, aliases in ALIASES.items() for alias in aliases}
    for key, label in COLUMNS:
        names[key] = key
        for locale in ("th", "en"):
            with force_locale(locale):
                names[str(label).casefold()] = key
    return names


def plan_import(data: bytes, cluster: Cluster) -> Plan:
    """Read a member list and work out, row by row, what importing it would do. Writes nothing."""
    plan = Plan()
    try:
        text = decode(data)
    except ValueError:
        plan.errors.append((0, _("The file is not UTF-8 or Thai Windows text. Save it as CSV UTF-8 and try again.")))
        return plan
    # Excel writes "," or, in some locales, ";" (or tabs): take the one the header uses most. The rest of
    # the dialect stays Excel's (doubled quotes inside quoted cells), which csv.Sniffer can guess wrong.
    first_line = next(iter(text.splitlines()), "")
    delimiter = max(",;\t", key=first_line.count)
    records, problem = _records(text, delimiter)
    if problem:
        plan.errors.append(problem)
        return plan
    header = records[0] if records else []
    if not any(cell.strip() for cell in header):
        plan.errors.append((0, _("The file is empty.")))
        return plan
    names = _header_map()
    keys = [names.get(cell.strip().casefold()) for cell in header]
    missing = {"registration_number", "positions"} - set(keys)
    if missing:
        wanted = ", ".join(str(dict(COLUMNS)[key]) for key in sorted(missing))
        plan.errors.append((1, _("Missing column(s): %(columns)s.", columns=wanted)))
        if not any(keys):
            plan.errors.append((1, _("The first line must name the columns, as in the export.")))
        return plan

    provinces = _labels_for_provinces()
    positions = _labels(list(Position), Position)
    sizes = _labels(list(FirmSize), FirmSize)
    seen: dict[str, int] = {}
    parsed: list[Row] = []
    for line, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(parsed) >= MAX_ROWS:
            plan.errors.append((line, _("A file may have at most %(num)s members.", num=MAX_ROWS)))
            break
        values = {key: (unquote_cell(cells[i].strip()) if i < len(cells) else "") for i, key in enumerate(keys) if key}
        row, problems = _parse_row(line, values, provinces, positions, sizes)
        if row and row.registration_number in seen:
            problems.append(_("The same registration number is on line %(line)s.", line=seen[row.registration_number]))
        if problems:
            plan.errors.extend((line, problem) for problem in problems)
        else:
            seen[row.registration_number] = line
            parsed.append(row)
    _match(parsed, cluster, plan)
    return plan


def _labels_for_provinces() -> dict[str, int]:
    table = {}
    for province in db.session.scalars(select(Province)):
        for name in (province.code, province.name_th, province.name_en):
            table[name.casefold()] = province.id
    return table


def _parse_row(line, values, provinces, positions, sizes):
    problems = []
    number = normalise_registration_number(values.get("registration_number", ""))
    if not number:
        problems.append(_("The registration number is missing."))
    elif not (number.isdigit() and len(number) == 13 and registration_number_is_valid(number)):
        problems.append(_("The registration number %(number)s is not valid.", number=number))
    chosen = []
    for token in re.split(r"[,;/|]", values.get("positions", "")):
        token = token.strip().casefold()
        if not token:
            continue
        if token not in positions:
            problems.append(_("Unknown position “%(value)s”: use upstream, midstream or downstream.", value=token))
        elif positions[token] not in chosen:
            chosen.append(positions[token])
    if not chosen and not any("position" in p for p in problems):
        problems.append(_("Give at least one position: upstream, midstream or downstream."))
    row = Row(line=line, registration_number=number, positions=sorted(chosen, key=list(Position).index))
    row.name_th, row.name_en = values.get("name_th", ""), values.get("name_en", "")
    if len(row.name_th) > 200 or len(row.name_en) > 200:
        problems.append(_("The name is too long (at most 200 characters)."))
    province = values.get("province", "")
    if province:
        row.province_id = provinces.get(province.casefold())
        if row.province_id is None:
            problems.append(_("Unknown province “%(value)s”.", value=province))
    size = values.get("size", "")
    if size:
        if size.casefold() not in sizes:
            problems.append(_("Unknown size “%(value)s”: use micro, small or medium.", value=size))
        else:
            row.size = sizes[size.casefold()]
    if values.get("phone"):
        try:
            row.phone = parse_thai_phone(values["phone"])
        except ValueError:
            problems.append(_("The phone number %(value)s is not a Thai number.", value=values["phone"]))
    if values.get("email"):
        if not EMAIL.match(values["email"]) or len(values["email"]) > 254:
            problems.append(_("The e-mail address %(value)s is not valid.", value=values["email"]))
        else:
            row.email = values["email"].lower()
    row.line_id = values.get("line_id") or None
    if row.line_id and len(row.line_id) > 50:
        problems.append(_("The LINE ID is too long."))
    row.offers = values.get("offers") or None
    row.seeks = values.get("seeks") or None
    return row, problems


def _match(rows: list[Row], cluster: Cluster, plan: Plan) -> None:
    """Each row's action. A firm already on the portal joins at once only while nobody owns it (an
    unclaimed profile); a claimed firm that is not in the cluster is invited. A claimed firm that
    declined this cluster's invitation is not invited again by a file: it can still ask to join itself."""
    numbers = [row.registration_number for row in rows]
    firms = {f.registration_number: f for f in db.session.scalars(
        select(Firm).where(Firm.registration_number.in_(numbers)))} if numbers else {}
    current, claimed, declined = {}, set(), set()
    if firms:
        firm_ids = [f.id for f in firms.values()]
        for membership in db.session.scalars(
            select(Membership).where(
                Membership.cluster_id == cluster.id,
                Membership.firm_id.in_(firm_ids),
                Membership.status.in_([MembershipStatus.PENDING, MembershipStatus.APPROVED, MembershipStatus.INVITED]),
            ).options(selectinload(Membership.positions))
        ):
            current[membership.firm_id] = membership
        claimed = set(db.session.scalars(select(FirmMember.firm_id).where(FirmMember.firm_id.in_(firm_ids))))
        declined = set(db.session.scalars(select(Membership.firm_id).where(
            Membership.cluster_id == cluster.id, Membership.firm_id.in_(firm_ids),
            Membership.invited_at.is_not(None), Membership.status == MembershipStatus.DECLINED)))
    for row in rows:
        row.firm = firms.get(row.registration_number)
        if row.firm is None:
            if not row.name_th:
                plan.errors.append((row.line, _("A firm new to the portal needs its Thai name.")))
                continue
            if row.province_id is None:
                plan.errors.append((row.line, _("A firm new to the portal needs its province.")))
                continue
            row.action = "new_firm"
        else:
            row.membership = current.get(row.firm.id)
            if row.membership is None:
                if row.firm.id not in claimed:
                    row.action = "join"
                else:
                    row.action = "invitation_declined" if row.firm.id in declined else "invite"
            elif row.membership.status is MembershipStatus.INVITED:
                row.action = "invited_already"
            elif row.membership.status is MembershipStatus.PENDING:
                row.action = "approve_pending"
            elif sorted((p.position for p in row.membership.positions), key=list(Position).index) != row.positions:
                row.action = "update_positions"
            else:
                row.action = "unchanged"
        plan.rows.append(row)
