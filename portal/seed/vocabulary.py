"""Words for the demo-data generator, read from portal/data/demo/*.csv (UTF-8, one file per kind of word).

The text is data, kept beside provinces.csv, and is read on first use, not at import. Each name below keeps
the shape the generator has always used, rows in file order:

- CLUSTER_TRADES (trades.csv): cluster slug -> position -> [(trade_th, trade_en, blurb_th, blurb_en)].
  A firm's Thai name is trade_th + brand_th with no space ("ฟาร์มปลากัด" + "บางกอก"); its English name is
  brand_en + " " + trade_en ("Bangkok Betta Farm"). blurb_th is one sentence with no final punctuation (the
  generator appends the province and founding year); blurb_en is its translation and ends with a full stop.
- BRANDS (brands.csv): [(brand_th, brand_en)], generic words Thai SMEs use in trade names; none is a known
  company or trademark.
- OFFERS (offers.csv): position -> [(th, en)], what a firm at that point of the value chain puts on the table.
- SEEKS (seeks.csv): position -> [(th, en)], what a firm at that point of the value chain is looking for.
"""
import csv
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    with (resources.files("portal") / "data" / "demo" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _by_position(name: str) -> dict[str, list[tuple[str, str]]]:
    words: dict[str, list[tuple[str, str]]] = {}
    for row in _rows(name):
        words.setdefault(row["position"], []).append((row["th"], row["en"]))
    return words


def _trades() -> dict[str, dict[str, list[tuple[str, str, str, str]]]]:
    trades: dict[str, dict[str, list[tuple[str, str, str, str]]]] = {}
    for row in _rows("trades"):
        trades.setdefault(row["cluster"], {}).setdefault(row["position"], []).append(
            (row["trade_th"], row["trade_en"], row["blurb_th"], row["blurb_en"]))
    return trades


_LOADERS = {
    "CLUSTER_TRADES": _trades,
    "BRANDS": lambda: [(row["brand_th"], row["brand_en"]) for row in _rows("brands")],
    "OFFERS": lambda: _by_position("offers"),
    "SEEKS": lambda: _by_position("seeks"),
}


@cache
def _load(name: str):
    return _LOADERS[name]()


def __getattr__(name: str):
    """`from portal.seed.vocabulary import BRANDS` reads brands.csv then, once (PEP 562)."""
    if name in _LOADERS:
        return _load(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
