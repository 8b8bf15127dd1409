"""The ?page= number of paginated lists, read the same way everywhere."""
from flask import abort, request

MAX_PAGE = 100_000  # far beyond any real list; bounds the OFFSET a URL can make the database compute


def page_arg() -> int:
    """The page asked for: 1 when absent or not a number; 404 for 0, negatives and absurd numbers,
    which no link produces (9999999999999999999 would overflow the database's integer OFFSET)."""
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def page_from(args) -> int:
    """The page of a filtered listing (directory, requests board): 1 unless ?page= is a positive number of
    at most five digits, so a shared link with a stray page still opens the listing."""
    raw = args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 and int(raw) > 0 else 1
