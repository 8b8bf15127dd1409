"""Where a webhook may go: https (http only where WEBHOOK_ALLOW_HTTP says so), and never to this machine or
its private networks (SSRF). The host is resolved and every address it resolves to is checked, at
registration and again before each delivery, since DNS answers change. WEBHOOK_ALLOWED_HOSTS lists
addresses or networks let through all the same (a receiver on loopback in tests or development)."""
import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app

from portal.exceptions import RuleViolation
from portal.i18n import lazy_gettext as _l

BAD_URL = _l("Enter a full web address, such as https://example.com/hooks/portal.")
HTTPS_ONLY = _l("The address must start with https://.")
NO_CREDENTIALS = _l("Leave the user name and password out of the address: the signature proves who is calling.")
UNRESOLVED = _l("This host name cannot be found. Check the address.")
PRIVATE = _l("This address leads to a private, local or reserved network, where webhooks may not go.")


class UnsafeAddress(RuleViolation):
    """The URL may not be called (refused at registration and at delivery)."""

    def __init__(self, message):
        super().__init__(message, field="url")


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (a literal address resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def _allowed(address) -> bool:
    for entry in current_app.config.get("WEBHOOK_ALLOWED_HOSTS", ()):
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def is_public(address) -> bool:
    """A global unicast address: not private, loopback, link-local, multicast, reserved or unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified or not address.is_global)


def check_url(url: str) -> list[str]:
    """Refuse `url` unless it is a well-formed http(s) URL whose host resolves only to allowed addresses.
    Returns those addresses. :raises UnsafeAddress: with a translated reason."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeAddress(BAD_URL) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress(BAD_URL)
    if parts.scheme == "http" and not current_app.config.get("WEBHOOK_ALLOW_HTTP"):
        raise UnsafeAddress(HTTPS_ONLY)
    if parts.username or parts.password:
        raise UnsafeAddress(NO_CREDENTIALS)
    try:
        found = resolve(parts.hostname, port)
    except (OSError, UnicodeError, ValueError):  # ValueError: a NUL in the name
        raise UnsafeAddress(UNRESOLVED) from None
    if not found:
        raise UnsafeAddress(UNRESOLVED)
    for raw in found:
        address = ipaddress.ip_address(raw.split("%")[0])
        if not is_public(address) and not _allowed(address):
            raise UnsafeAddress(PRIVATE)
    return found
