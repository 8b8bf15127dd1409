"""Keyset pagination: an opaque cursor names the last row of the page before; `next` links carry it."""
import base64
import json

from flask import request, url_for

from portal import links


class BadCursor(ValueError):
    pass


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    """The id the page starts after (0: the first page). Raises BadCursor for anything not ours."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["after"]
    except (ValueError, TypeError, KeyError):
        raise BadCursor(cursor) from None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**31:
        raise BadCursor(cursor)
    return after


def page(rows: list, limit: int, serialise) -> dict:
    """`rows` is up to limit + 1 rows in id order: the page, and a `next` link when there is more."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        args = {key: value for key, value in request.args.items() if key != "cursor"}
        next_url = links.absolute(url_for(request.endpoint, **(request.view_args or {}), **args,
                                          cursor=encode(rows[-1].id)))
    return {"items": [serialise(row) for row in rows], "next": next_url}
