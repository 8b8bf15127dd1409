"""Whom a registered firm might meet at a matching day, best first, each suggestion with its reasons.

The same engine as the board's suggestions (portal/collab/suggestions.py: candidates from the database,
ranked in Python by the reasons that apply, the same place reason), on what a registration says: the
words of what this firm seeks found among what another offers (its registration's offers, or its profile's
name, products and description, as whole words), what it offers found in what another seeks, both through
the search glossary so that "durian" meets ทุเรียน; a partner next along a shared cluster's value chain;
another firm's linked open request seeking a position this firm holds; the same province or region.
Firms already asked (a waiting or accepted request either way) and the user's own firms are left out.
"""
from pythainlp.corpus import thai_stopwords
from sqlalchemy import select

from portal import reference
from portal.clusters.models import Membership, MembershipPosition, MembershipStatus, Position
from portal.collab.models import RequestStatus
from portal.collab.suggestions import _place_reason
from portal.db import among
from portal.events import queries
from portal.events.models import Registration
from portal.extensions import db
from portal.glossary.queries import alternatives
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.search import word_text, words

CANDIDATES = 500
_ENGLISH_STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it of on or our the their to we with you your who "
    "seek seeking looking want wanted need needs offer offers".split())
_CHAIN = {Position.UPSTREAM: (Position.MIDSTREAM,), Position.MIDSTREAM: (Position.UPSTREAM, Position.DOWNSTREAM),
          Position.DOWNSTREAM: (Position.MIDSTREAM,)}
# How much each kind of reason weighs: a firm offering what this one seeks comes first.
_WEIGHTS = {"offers": 4, "seeks": 3, "request": 2, "chain": 2, "place": 1}


def _keywords(text: str | None) -> list[str]:
    """The words of a free text worth matching: no stop words, no single letters, at most twelve."""
    stop = thai_stopwords()
    found = []
    for word in words(text):
        if len(word) >= 2 and word not in stop and word not in _ENGLISH_STOPWORDS and not word.isdigit() \
                and word not in found:
            found.append(word)
    return found[:12]


def _matched(keywords: list[str], forms: list[list[str]], haystack: str) -> list[str]:
    """The keywords found as whole words in the haystack (a word_text), in any of their glossary forms."""
    return [word for word, alts in zip(keywords, forms, strict=True)
            if any(f" {alt} " in haystack for alt in alts)]


def _positions(firm_ids, cluster_ids) -> dict[int, set[tuple[int, Position]]]:
    """firm id -> the (cluster, position) pairs it holds as an approved member, in the given clusters (all
    clusters when None). One query."""
    query = (select(Membership.firm_id, Membership.cluster_id, MembershipPosition.position)
             .join(MembershipPosition, MembershipPosition.membership_id == Membership.id)
             .where(Membership.status == MembershipStatus.APPROVED, among(Membership.firm_id, firm_ids)))
    if cluster_ids:
        query = query.where(Membership.cluster_id.in_(cluster_ids))
    held: dict[int, set[tuple[int, Position]]] = {}
    for firm_id, cluster_id, position in db.session.execute(query):
        held.setdefault(firm_id, set()).add((cluster_id, position))
    return held


def _chain_reason(mine: set, theirs: set) -> str | None:
    for cluster_id, position in sorted(theirs, key=lambda pair: (pair[0], pair[1].value)):
        if any(c == cluster_id and position in _CHAIN[p] for c, p in mine):
            cluster = reference.clusters().get(cluster_id)
            return _("%(position)s in %(cluster)s, next to your firm in the value chain", position=position.label,
                     cluster=cluster.name_in(current_locale()) if cluster else "")
    return None


def attendees_for(registration: Registration, exclude_firm_ids=(), limit: int = 5) -> list[tuple[Registration,
                                                                                                 list[str]]]:
    """Other approved attendees of the registration's event that its firm might meet, best first, each with
    the reasons that apply; only attendees with a reason beyond being nearby. `exclude_firm_ids`: firms the viewer
    is on the team of (a meeting with oneself is never suggested)."""
    event = registration.event
    asked = {r.to_registration_id if r.from_registration_id == registration.id else r.from_registration_id
             for r in queries.live_requests_of(registration)}
    skip = set(exclude_firm_ids) | {registration.firm_id}
    candidates = [r for r in db.session.scalars(queries.attendees(event).limit(CANDIDATES))
                  if r.id not in asked and r.firm_id not in skip]
    if not candidates:
        return []
    seeks, offers = _keywords(registration.seeks), _keywords(registration.offers)
    seek_forms, offer_forms = alternatives(seeks), alternatives(offers)
    held = _positions([registration.firm_id, *(r.firm_id for r in candidates)], event.cluster_ids)
    mine = held.get(registration.firm_id, set())
    my_positions = {position for _cluster, position in mine}
    ranked = []
    for other in candidates:
        firm, reasons, score = other.firm, [], 0
        their_offers = " ".join(filter(None, (firm.words_name, firm.words_products, firm.words_body,
                                              word_text(other.offers))))
        found = _matched(seeks, seek_forms, their_offers)
        if found:
            reasons.append(_("Offers what you seek: “%(words)s”", words=", ".join(found[:3])))
            score += _WEIGHTS["offers"] * len(found)
        found = _matched(offers, offer_forms, word_text(other.seeks))
        if found:
            reasons.append(_("Seeks what you offer: “%(words)s”", words=", ".join(found[:3])))
            score += _WEIGHTS["seeks"] * len(found)
        fitting = [cr for cr in other.requests if cr.status is RequestStatus.OPEN and cr.hidden_at is None
                   and cr.position_sought in my_positions]
        if fitting:
            reasons.append(_("Their request “%(title)s” seeks %(position)s, a position your firm holds",
                             title=fitting[0].title, position=fitting[0].position_sought.label))
            score += _WEIGHTS["request"]
        chain = _chain_reason(mine, held.get(other.firm_id, set()))
        if chain:
            reasons.append(chain)
            score += _WEIGHTS["chain"]
        if not reasons:
            continue
        near = _place_reason(registration.firm.province_id, firm.province_id)
        if near:
            reasons.append(near)
            score += _WEIGHTS["place"]
        ranked.append((-score, firm.sort_th or "", other.id, other, reasons))
    ranked.sort(key=lambda item: item[:3])
    return [(other, reasons) for *_key, other, reasons in ranked[:limit]]
