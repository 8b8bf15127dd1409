"""The privacy notice's versions. The text of each lives in templates/privacy/notice_v<N>.<lang>.html; which
version is current is PRIVACY_NOTICE_VERSION. A new version: add its template pair and its effective date
here, then raise PRIVACY_NOTICE_VERSION; every signed-in person is asked to accept it on their next page."""
from datetime import date

from flask import current_app

EFFECTIVE = {1: date(2026, 12, 1)}  # version -> the date it took effect


def current_version() -> int:
    return int(current_app.config["PRIVACY_NOTICE_VERSION"])


def effective_date(version: int) -> date | None:
    return EFFECTIVE.get(version)


def template_of(version: int, locale: str) -> str:
    return f"privacy/notice_v{version}.{'th' if locale == 'th' else 'en'}.html"
