"""Where a signed-in person must go before any other page: one ordered list of account gates.

Three things can stand between an account and the portal: a second factor a privileged account must set up
(portal/twofactor), a deletion the account asked for and may still cancel (portal/mydata), and a privacy
notice version not yet accepted (portal/privacy). Each is a Gate here; one before_request hook walks them in
order and sends the person to the first that holds them back. The rules that keep them from fighting live in
this one place:

- Pages that are always open: signing out, the language switch, static files, health checks, the privacy
  notice itself (anyone may read what they are asked to accept).
- A gate never holds back another gate's own pages. Otherwise two gates that both held a person would send
  the page back and forth (the loop an earlier version had, with the lists kept in three modules).
- Machine endpoints never meet a gate: the JSON API (a bearer token, never the session), LINE's webhook,
  /metrics. A person's browser session on those requests is not who is asking.
- The order decides which comes first when several hold: the second factor (nothing else is safe to use
  without it), then the pending deletion, then the notice.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import flash, redirect, request, session, url_for
from flask_login import current_user

from portal.i18n import lazy_gettext as _l

ALWAYS_OPEN = frozenset({"static", "auth.logout", "auth.set_language", "main.health", "main.favicon",
                         "privacy.notice"})
MACHINE_BLUEPRINTS = frozenset({"api", "line_webhook", "metrics"})
NOTICE_ACCEPTED = "privacy_accepted"  # in the session: [user id, notice version] once that user has accepted it


@dataclass(frozen=True)
class Gate:
    name: str
    holds: Callable[[object], bool]  # does it hold this signed-in user back now?
    target: str  # the endpoint it sends them to
    own_blueprints: frozenset = frozenset()  # its own pages, which no gate holds back
    own_endpoints: frozenset = frozenset()
    also_open: frozenset = frozenset()  # further endpoints this gate lets through (others still may not)
    also_open_blueprints: frozenset = frozenset()
    methods: frozenset | None = None  # the request methods it acts on (None: every method)
    message: object = None  # flashed on the way (a lazy string), or None
    redirect_args: Callable[[], dict] = field(default=lambda: {})

    def owns(self, endpoint: str, blueprint: str | None) -> bool:
        return endpoint in self.own_endpoints or blueprint in self.own_blueprints


def _needs_second_factor(user) -> bool:
    from portal.permissions import must_use_two_factor
    from portal.twofactor import services

    return must_use_two_factor(user) and not services.has_second_factor(user)


def _deletion_pending(user) -> bool:
    return user.is_deletion_pending


def _notice_not_accepted(user) -> bool:
    from portal.privacy import notice, services

    settled = [user.id, notice.current_version()]
    if session.get(NOTICE_ACCEPTED) == settled:  # known from an earlier request of this session: no query
        return False
    if not services.needs_consent(user):
        session[NOTICE_ACCEPTED] = settled
        return False
    return True


def _back_here() -> dict:
    return {"next": request.full_path.rstrip("?")}


GATES = (
    Gate("second_factor", _needs_second_factor, "twofactor.security", own_blueprints=frozenset({"twofactor"}),
         message=_l("Your account needs a second factor before you can continue. Please set one up.")),
    # An account due for deletion may only cancel it, take its data, or see the home page.
    Gate("deletion_pending", _deletion_pending, "mydata.delete",
         own_endpoints=frozenset({"mydata.delete", "mydata.cancel", "mydata.data", "mydata.export",
                                  "mydata.download"}),
         also_open=frozenset({"main.index"})),
    # Asked on page views only (a form posted from an open tab is not lost). The rest of the privacy pages
    # (withdrawing a firm's listing consent takes effect at once), the data subject's rights (download my
    # data, delete my account), confirming an address and an e-mail's "stop these alerts" link never wait for
    # the notice; they are not this gate's own pages, so the other gates still hold them.
    Gate("privacy_notice", _notice_not_accepted, "privacy.accept", own_endpoints=frozenset({"privacy.accept"}),
         also_open=frozenset({"auth.confirm", "auth.check_email", "following.stop"}),
         also_open_blueprints=frozenset({"privacy", "mydata"}),
         methods=frozenset({"GET", "HEAD"}), redirect_args=_back_here),
)


def is_open(gate: Gate, endpoint: str, blueprint: str | None) -> bool:
    """Whether `gate` lets a request for `endpoint` through even while it holds the person."""
    return (endpoint in ALWAYS_OPEN or endpoint in gate.also_open or blueprint in gate.also_open_blueprints
            or any(other.owns(endpoint, blueprint) for other in GATES))


def holding_gate(user, endpoint: str, blueprint: str | None, method: str) -> Gate | None:
    """The first gate that holds `user` back from this request, or None."""
    if blueprint in MACHINE_BLUEPRINTS:
        return None
    for gate in GATES:
        if gate.methods is not None and method not in gate.methods:
            continue
        if is_open(gate, endpoint, blueprint):
            continue
        if gate.holds(user):
            return gate
    return None


def check():
    """before_request: send a signed-in person held back by a gate to it."""
    if request.endpoint is None or request.blueprint in MACHINE_BLUEPRINTS:  # before current_user reads a cookie
        return None
    if not current_user.is_authenticated:
        return None
    gate = holding_gate(current_user, request.endpoint, request.blueprint, request.method)
    if gate is None:
        return None
    if gate.message is not None:
        flash(str(gate.message), "warning")
    return redirect(url_for(gate.target, **gate.redirect_args()))


def init_app(app) -> None:
    app.before_request(check)
