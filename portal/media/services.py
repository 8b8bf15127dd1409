"""Store, fetch, serve and remove media files. Services flush; the request (or command) commits, so a file
lands together with the row that refers to it, or not at all."""
import hashlib
import secrets

from flask import Response, abort, request
from sqlalchemy import delete, select

from portal.extensions import db
from portal.media.models import MediaFile

MAX_AGE = 86400  # a name is never reused for other bytes, so caches may keep it a day


def store(data: bytes, content_type: str, extension: str) -> str:
    """Add the bytes under a fresh random name; returns the name."""
    name = f"{secrets.token_hex(16)}.{extension}"
    db.session.add(MediaFile(name=name, content_type=content_type, size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), data=data))
    db.session.flush()
    return name


def remove(name: str | None) -> None:
    if name:
        db.session.execute(delete(MediaFile).where(MediaFile.name == name))


def serve(name: str, public: bool) -> Response:
    """The stored file as a response: a strong ETag (its SHA-256), 304 when the client has it, nosniff.
    `public` lets shared caches keep it; otherwise only the browser may (a hidden firm's logo).

    404 when there is no such file."""
    row = db.session.scalar(select(MediaFile).where(MediaFile.name == name))
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
