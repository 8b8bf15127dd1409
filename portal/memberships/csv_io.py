"""Member lists as CSV or Excel workbooks: export (CSV in UTF-8 with BOM, Thai intact) and import of existing
lists, including our own export after a round trip through Excel (uploads.py reads the files).

An import is planned first (what will change, and every bad row by line number) and applied only as
a whole, in one transaction: nothing is half-imported.
"""
import io
import re
from dataclasses import dataclass, field

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.clusters.models import Cluster, Membership, MembershipStatus, Position
from portal.exports import SpreadsheetWriter, unquote_cell, workbook_bytes
from portal.extensions import db
from portal.firms.models import Firm, FirmMember, FirmSize, Province
from portal.forms import clean_text
from portal.i18n import format_be_date
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.memberships import uploads
from portal.permissions import can_view_firm_contacts
from portal.validators import (
    display_thai_phone,
    normalise_registration_number,
    parse_thai_phone,
    registration_number_is_valid,
)

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
TEXT_COLUMNS = (0, 6)  # registration number, phone: Excel would drop their leading 0
# Cells of only spaces are refused, as the web forms refuse them (an empty cell is no name given).
NAMES = {"name_th": _l("The name in Thai is only spaces: write the name, or leave the cell empty."),
         "name_en": _l("The name in English is only spaces: write the name, or leave the cell empty.")}
# How Excel writes a long number it rounded: 1.05567E+11 (some locales write 1,05567E+11).
ROUNDED = re.compile(r"\d+(?:[.,]\d+)?[eE]\+?\d+")
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

def export_members(cluster: Cluster, locale: str, viewer, fmt: str = "csv") -> bytes:
    """The cluster's approved members headed in `locale`: CSV bytes with a BOM for Excel, or an .xlsx
    workbook (fmt="xlsx") whose registration numbers and phones are text cells, so Excel keeps their 0.
    Phone, e-mail and LINE are filled in only where `viewer` may see them on the firm's page
    (can_view_firm_contacts): one rule for pages and exports."""
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.cluster_id == cluster.id, Membership.status == MembershipStatus.APPROVED)
        .options(joinedload(Membership.firm).joinedload(Firm.province), selectinload(Membership.positions))
        .order_by(Membership.decided_at, Membership.id)
    ).all()
    with force_locale(locale):
        header = [str(label) for _key, label in COLUMNS]
        rows = [_export_row(membership, locale, viewer) for membership in memberships]
        title = str(_l("Members"))
    if fmt == "xlsx":
        return workbook_bytes(title, header, rows, text_columns=TEXT_COLUMNS)
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _export_row(membership: Membership, locale: str, viewer) -> list:
    firm = membership.firm
    positions = sorted((p.position for p in membership.positions), key=list(Position).index)
    phone, email, line_id = ((firm.phone, firm.email, firm.line_id) if can_view_firm_contacts(viewer, firm)
                             else (None, None, None))
    return [
        firm.registration_number or "",
        firm.name_th,
        firm.name_en or "",
        firm.province.name_th if locale == "th" else firm.province.name_en,
        ", ".join(str(p.label) for p in positions),
        str(firm.size.label),
        # 081 234 5678, as Thai people write it (and text to Excel: +66812345678 would become a number)
        display_thai_phone(phone),
        email or "",
        line_id or "",
        membership.offers or "",
        membership.seeks or "",
        format_be_date(membership.decided_at, "medium", locale=locale) if membership.decided_at else "",
        membership.fiscal_year or "",
    ]


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
    previous_positions: list[Position] = field(default_factory=list)  # for "update_positions": from … to …
    # Contacts are saved only for a firm new to the portal: there alone a bad phone or e-mail is an error.
    contact_problems: list[str] = field(default_factory=list)
    # new_firm | join | invite | approve_pending | update_positions | unchanged | invited_already | invitation_declined
    action: str = ""


# A firm with an owner is never enrolled by someone else's file: it is invited, and its owner decides.
# Rows that an import leaves as they are: nothing changes, nothing is sent.
NO_CHANGE = ("unchanged", "invited_already", "invitation_declined")
SUMMARY = ("new_firm", "join", "invite", "approve_pending", "update_positions")


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def changes(self) -> int:
        return sum(1 for row in self.rows if row.action not in NO_CHANGE)

    def summary(self) -> dict[str, int]:
        """How many rows of each kind of change, and how many leave things as they are ("no_change")."""
        counts = {action: self.count(action) for action in SUMMARY}
        counts["no_change"] = len(self.rows) - self.changes
        return counts


def _header_map() -> dict[str, str]:
    names = {alias.casefold(): key for key, aliases in ALIASES.items() for alias in aliases}
    for key, label in COLUMNS:
        names[key] = key
        for locale in ("th", "en"):
            with force_locale(locale):
                names[str(label).casefold()] = key
    return names


def plan_import(data: bytes, cluster: Cluster) -> Plan:
    """Read a member list (CSV or .xlsx) and work out, row by row, what importing it would do. Writes nothing."""
    plan = Plan()
    try:
        records = uploads.read_table(data, MAX_ROWS + 1)  # the header, then one row too many to say so
    except uploads.Unreadable as exc:
        plan.errors.append((exc.line, exc.message))
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
        # Excel shows our export's apostrophe guard as part of the text, and saves it so: take it off again.
        values = {key: unquote_cell(cells[i].strip()) if i < len(cells) else "" for i, key in enumerate(keys) if key}
        blank = {key for i, key in enumerate(keys) if key in NAMES and i < len(cells) and cells[i]
                 and not clean_text(cells[i])}
        row, problems = _parse_row(line, values, provinces, positions, sizes)
        problems[:0] = [str(NAMES[key]) for key in sorted(blank)]
        if row.registration_number and row.registration_number in seen:
            problems.append(_("The same registration number is on line %(line)s.", line=seen[row.registration_number]))
        if problems:
            plan.errors.extend((line, problem) for problem in problems)
        else:
            if row.registration_number:
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
    number = _registration_number(values.get("registration_number", ""), problems)
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
    row.name_th, row.name_en = clean_text(values.get("name_th", "")), clean_text(values.get("name_en", ""))
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
            row.contact_problems.append(_("The phone number %(value)s is not a Thai number.", value=values["phone"]))
    if values.get("email"):
        if not EMAIL.match(values["email"]) or len(values["email"]) > 254:
            row.contact_problems.append(_("The e-mail address %(value)s is not valid.", value=values["email"]))
        else:
            row.email = values["email"].lower()
    row.line_id = values.get("line_id") or None
    if row.line_id and len(row.line_id) > 50:
        problems.append(_("The LINE ID is too long."))
    row.offers = clean_text(values.get("offers", "")) or None
    row.seeks = clean_text(values.get("seeks", "")) or None
    return row, problems


def _registration_number(value: str, problems: list) -> str:
    """The 13 digits; "" for an empty cell, or with the problem added. Excel takes 0105567000129 for a
    number and drops its 0: 12 digits are the 13 that begin with 0 when the check digit says so (every
    juristic person's number begins with 0). A number Excel rounded (1.05567E+11) has lost digits that
    nobody can guess."""
    number = normalise_registration_number(value)
    if not number:
        return ""  # a firm without one is looked for by name (_find_firms)
    if ROUNDED.fullmatch(number):
        problems.append(_("Excel rounded the registration number to %(number)s: its digits are lost. Export "
                          "the list as Excel (.xlsx), or format the column as Text and type the numbers again.",
                          number=number))
        return ""
    if number.isdigit() and len(number) == 12 and registration_number_is_valid("0" + number):
        number = "0" + number
    if not (number.isdigit() and len(number) == 13 and registration_number_is_valid(number)):
        problems.append(_("The registration number %(number)s is not valid.", number=number))
    return number


def _match(rows: list[Row], cluster: Cluster, plan: Plan) -> None:
    """Each row's action. A firm already on the portal joins at once only while nobody owns it (an
    unclaimed profile); a claimed firm that is not in the cluster is invited. A claimed firm that
    declined this cluster's invitation is not invited again by a file: it can still ask to join itself."""
    rows = _find_firms(rows, cluster, plan)
    firm_ids = [row.firm.id for row in rows if row.firm is not None]
    current, claimed, declined = {}, set(), set()
    if firm_ids:
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
        if row.firm is None:
            if not row.name_th:
                plan.errors.append((row.line, _("A firm new to the portal needs its Thai name.")))
                continue
            if row.province_id is None:
                plan.errors.append((row.line, _("A firm new to the portal needs its province.")))
                continue
            if row.contact_problems:  # checked only where they are saved: a new profile
                plan.errors.extend((row.line, problem) for problem in row.contact_problems)
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
                row.previous_positions = sorted((p.position for p in row.membership.positions),
                                                key=list(Position).index)
            else:
                row.action = "unchanged"
        plan.rows.append(row)


def _find_firms(rows: list[Row], cluster: Cluster, plan: Plan) -> list[Row]:
    """Each row's firm on the portal (None: new), by registration number. A firm without one (a person
    trading in their own name, in the export with that cell empty) is found among this cluster's members
    by its Thai name, when exactly one has it. Returns the rows without a problem."""
    numbers = [row.registration_number for row in rows if row.registration_number]
    firms = {f.registration_number: f for f in db.session.scalars(
        select(Firm).where(Firm.registration_number.in_(numbers)))} if numbers else {}
    names = {row.name_th for row in rows if not row.registration_number and row.name_th}
    unnumbered: dict[str, list[Firm]] = {}
    if names:
        for firm in db.session.scalars(select(Firm).join(Membership, Membership.firm_id == Firm.id).where(
                Membership.cluster_id == cluster.id, Firm.registration_number.is_(None), Firm.name_th.in_(names),
                Membership.status.in_([MembershipStatus.PENDING, MembershipStatus.APPROVED,
                                       MembershipStatus.INVITED]))):
            unnumbered.setdefault(firm.name_th, []).append(firm)
    found, lines = [], {}
    for row in rows:
        if row.registration_number:
            row.firm = firms.get(row.registration_number)
        else:
            same_name = unnumbered.get(row.name_th, [])
            if len(same_name) != 1:
                plan.errors.append((row.line, _("The registration number is missing.") if not same_name else _(
                    "Several members are called %(name)s: give the registration number.", name=row.name_th)))
                continue
            row.firm = same_name[0]
            if row.firm.id in lines:
                plan.errors.append((row.line, _("This firm is also on line %(line)s.", line=lines[row.firm.id])))
                continue
            lines[row.firm.id] = row.line
        found.append(row)
    return found
