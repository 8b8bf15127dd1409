"""Reference data read on every listing page, kept in memory: provinces never change at run time
(they come from a data file), cluster names rarely. Saves a query or two per page."""
import time
from dataclasses import dataclass

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


def province_name(province_id: int) -> str:
    """A province's name in the page's language (template helper; no query)."""
    from portal.i18n import current_locale

    ref = provinces().get(province_id)
    return ref.name_in(current_locale()) if ref else ""


def clear() -> None:
    """Forget everything (after reference data is reloaded, and between tests)."""
    _cache.clear()


def forget(prefix: str) -> None:
    """Drop this process's cached values whose names start with `prefix` (a consent withdrawn: the count of
    public listings is recounted on the next request)."""
    for name in [name for name in _cache if name.startswith(prefix)]:
        _cache.pop(name, None)
