"""All clusters' scorecards side by side: the columns, the programme median of each, the sort whitelist
and the rows for CSV / Excel. Pure functions over the Scorecards that portal.scorecard.queries counts."""
import statistics
from dataclasses import dataclass
from decimal import Decimal

from portal.clusters.models import Position
from portal.i18n import lazy_gettext as _l
from portal.thai import thai_sort_key


@dataclass(frozen=True)
class Column:
    key: str  # the ?sort= value (with "-" in front: largest first)
    label: object  # lazy string
    value: object  # Scorecard -> number or None
    kind: str = "count"  # count | percent | baht


COLUMNS = (
    Column("members", _l("Member firms at the end of the year"), lambda c: c.members),
    Column("growth", _l("Growth over the year before"), lambda c: c.growth, "percent"),
    Column("active", _l("Members active in the last 90 days"), lambda c: c.active_share, "percent"),
    *(Column(p.value, p.label, lambda c, p=p: c.by_position.get(p, 0)) for p in Position),
    Column("missing", _l("Positions with no firm"), lambda c: len(c.positions_missing)),
    Column("density", _l("Collaboration density"), lambda c: c.density, "percent"),
    Column("meetings", _l("Meetings held"), lambda c: c.funnel.meetings_held),
    Column("agreements", _l("Agreements after meetings"), lambda c: c.funnel.agreements),
    Column("value", _l("Confirmed value (baht)"), lambda c: c.funnel.value_confirmed, "baht"),
    Column("followup", _l("Follow-up answer rate"), lambda c: c.followup_answer_rate, "percent"),
)
BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_SORT = "cluster"
SORT_KEYS = frozenset({DEFAULT_SORT, *BY_KEY} | {f"-{key}" for key in (DEFAULT_SORT, *BY_KEY)})


def sort_key_or_default(asked: str | None) -> tuple[str, bool]:
    """(the sort to use, whether the one asked for was refused). Only whitelisted keys are used."""
    if not asked:
        return DEFAULT_SORT, False
    return (asked, False) if asked in SORT_KEYS else (DEFAULT_SORT, True)


def sorted_rows(cards, names: dict[int, str], sort: str) -> list:
    """The scorecards in the order `sort` asks (a whitelisted key): by cluster name in Thai dictionary
    order, or by a column, ties by name; a figure that cannot be computed (no members) sorts last."""
    descending, key = sort.startswith("-"), sort.lstrip("-")
    by_name = sorted(cards, key=lambda c: thai_sort_key(names.get(c.cluster_id, "")))
    if key == DEFAULT_SORT:
        return by_name[::-1] if descending else by_name
    value = BY_KEY[key].value
    known = [c for c in by_name if value(c) is not None]
    unknown = [c for c in by_name if value(c) is None]
    return sorted(known, key=value, reverse=descending) + unknown


def medians(cards) -> dict[str, object]:
    """{column key: the programme median over the clusters (those where the figure exists)}."""
    result = {}
    for column in COLUMNS:
        values = [column.value(c) for c in cards if column.value(c) is not None]
        result[column.key] = statistics.median(values) if values else None
    return result


def export_rows(cards, names: dict[int, str], median: dict, median_label: str) -> tuple[list, list]:
    """(header, rows) for CSV and Excel: percentages as numbers of percent, one decimal."""
    def cell(column, value):
        if value is None:
            return ""
        if column.kind == "percent":
            return float(round(Decimal(value) * 100, 1))
        return float(value) if column.kind == "baht" else value

    header = [str(_l("Cluster")),
              *(str(column.label) + (" (%)" if column.kind == "percent" else "") for column in COLUMNS)]
    rows = [[names.get(c.cluster_id, ""), *(cell(column, column.value(c)) for column in COLUMNS)] for c in cards]
    rows.append([median_label, *(cell(column, median[column.key]) for column in COLUMNS)])
    return header, rows
