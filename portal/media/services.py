"""Store, fetch, serve and remove media files. Services flush; the request (or command) commits, so a file
lands together with the row that refers to it, or not at all."""
import hashlib
import secrets
from datetime import datetime

from flask import Response, abort, request
from sqlalchemy import delete, select

from portal.extensions import db
from portal.media.models import LOGO, MediaFile

MAX_AGE = 86400  # a name is never reused for other bytes, so caches may keep it a day


def store(data: bytes, content_type: str, extension: str, purpose: str = LOGO, name: str | None = None) -> str:
    """Add the bytes under `name`, or a fresh random name; returns the name."""
    name = name or f"{secrets.token_hex(16)}.{extension}"
    db.session.add(MediaFile(name=name, purpose=purpose, content_type=content_type, size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), data=data))
    db.session.flush()
    return name


def read(name: str | None, purpose: str) -> bytes | None:
    """The bytes of the file `name` kept for `purpose`, or None when there is none (any more)."""
    if not name:
        return None
    return db.session.scalar(select(MediaFile.data).where(MediaFile.name == name, MediaFile.purpose == purpose))


def remove(name: str | None) -> None:
    if name:
        db.session.execute(delete(MediaFile).where(MediaFile.name == name))


def remove_older(purpose: str, before: datetime) -> int:
    """Delete the files kept for `purpose` stored before `before`; returns how many."""
    result = db.session.execute(delete(MediaFile).where(MediaFile.purpose == purpose, MediaFile.created_at < before))
    return result.rowcount or 0


def serve(name: str, public: bool) -> Response:
    """The stored logo as a response: a strong ETag (its SHA-256), 304 when the client has it, nosniff.
    `public` lets shared caches keep it; otherwise only the browser may (a hidden firm's logo).

    404 when there is no such logo (an import's or an export's file is never served here)."""
    row = db.session.scalar(select(MediaFile).where(MediaFile.name == name, MediaFile.purpose == LOGO))
    if row is None:
        abort(404)
    response = Response(status=200, mimetype=row.content_type)
    response.set_etag(row.sha256)
    response.cache_control.max_age = MAX_AGE
    if public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    if request.if_none_match.contains(row.sha256):  # strong comparison is fine: the ETag is strong
        response.status_code = 304
        return response
    response.set_data(row.data)
    return response
