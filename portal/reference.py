"""Reference data read on every listing page, kept in memory: provinces never change at run time
(they come from a data file), cluster names rarely. Saves a query or two per page."""
import time
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select

from portal.extensions import db

CLUSTER_TTL_SECONDS = 60
_cache: dict[str, tuple[float, object]] = {}


@dataclass(frozen=True)
class Ref:
    id: int
    key: str  # province code or cluster slug
    name_th: str
    name_en: str
    region: str = ""

    def name_in(self, locale: str) -> str:
        return (self.name_en or self.name_th) if locale == "en" else self.name_th


def cached(name: str, load, ttl: float | None = None):
    """`load()`'s result, computed at most once per COUNTS_CACHE_SECONDS (app config) in this process."""
    seconds = _counts_seconds() if ttl is None else ttl
    if seconds <= 0:
        return load()
    return _cached(name, seconds, load)


def remembered(name: str) -> bool:
    """Whether `remember(name)` was said in this process within COUNTS_CACHE_SECONDS (app config)."""
    seconds, hit = _counts_seconds(), _cache.get(name)
    if seconds > 0 and hit is not None and time.monotonic() - hit[0] <= seconds:
        _shown_until(hit[0] + seconds)
        return True
    return False


def remember(name: str) -> None:
    if _counts_seconds() > 0:
        _cache[name] = (time.monotonic(), True)


def _counts_seconds() -> float:
    from flask import current_app

    return current_app.config.get("COUNTS_CACHE_SECONDS", 60)


def _cached(name, ttl, load):
    now = time.monotonic()
    hit = _cache.get(name)
    if hit is None or (ttl is not None and now - hit[0] > ttl):
        hit = (now, load())
        _cache[name] = hit
    if ttl is not None:
        _shown_until(hit[0] + ttl)
    return hit[1]


def _shown_until(at: float) -> None:
    """A page kept with a value from here (portal/pagecache.py) is kept no longer than the value is."""
    from portal.pagecache import note_expiry  # here: pagecache imports the rules, which import this module

    note_expiry(at)


def provinces() -> dict[int, Ref]:
    from portal.firms.models import Province

    return _cached("provinces", None, lambda: {
        p.id: Ref(p.id, p.code, p.name_th, p.name_en, p.region) for p in db.session.scalars(select(Province))})


def clusters() -> dict[int, Ref]:
    from portal.clusters.models import Cluster

    return _cached("clusters", CLUSTER_TTL_SECONDS, lambda: {
        c.id: Ref(c.id, c.slug, c.name_th, c.name_en or "") for c in db.session.scalars(select(Cluster))})


def options(kind: str, locale: str) -> list[tuple[str, int, str]]:
    """(key, id, name) of provinces or clusters in Thai dictionary order of their names in `locale`."""
    from portal.thai import thai_sort_key

    source = provinces if kind == "provinces" else clusters

    def load():
        refs = sorted(source().values(), key=lambda r: thai_sort_key(r.name_in(locale)))
        return [(r.key, r.id, r.name_in(locale)) for r in refs]

    return _cached(f"options:{kind}:{locale}", None if kind == "provinces" else CLUSTER_TTL_SECONDS, load)


_option_tags: dict[tuple[str, str], tuple[list, str, dict[int, str]]] = {}


def option_tags(kind: str, locale: str, selected: int | None = None) -> Markup:
    """The <option> tags of options(kind, locale), the one whose id is `selected` marked: the directory's and the
    board's filters. Written once for each list options() keeps (so they change with it), where the templates' loop
    wrote 107 options on every page: a tenth of a directory page's CPU. The same HTML as that loop
    (tests/test_directory.py)."""
    rows = options(kind, locale)
    kept = _option_tags.get((kind, locale))
    if kept is None or kept[0] is not rows:
        tags = {ref_id: f'<option value="{escape(key)}" >{escape(name)}</option>' for key, ref_id, name in rows}
        kept = _option_tags[(kind, locale)] = (rows, "".join(tags.values()), tags)
    html, tag = kept[1], kept[2].get(selected)
    if tag is not None:  # the first '" >' ends the value: a quote in a key or a name is escaped
        html = html.replace(tag, tag.replace('" >', '" selected>', 1), 1)
    return Markup(html)  # nosec B704  # keys and names escaped above


def province_name(province_id: int) -> str:
    """A province's name in the page's language (template helper; no query)."""
    from portal.i18n import current_locale

    ref = provinces().get(province_id)
    return ref.name_in(current_locale()) if ref else ""


def clear() -> None:
    """Forget everything (after reference data is reloaded, and between tests)."""
    _cache.clear()
    _option_tags.clear()


def forget(prefix: str) -> None:
    """Drop this process's cached values whose names start with `prefix` (a consent withdrawn: the count of
    public listings is recounted on the next request)."""
    for name in [name for name in _cache if name.startswith(prefix)]:
        _cache.pop(name, None)
