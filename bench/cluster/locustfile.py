"""The load of `make cluster-test`: `make load`'s visitors, members and coordinators (bench/locustfile.py,
whose records of acknowledged writes the harness checks), plus people asking for a password reset, so
that e-mail flows through the outbox all the time. Every request's outcome is written with its time to
CLUSTER_REQUESTS (JSON lines), so that failures can be placed in the fault they fell in.
"""
import json
import os
import random
import time

from locust import events, task

from bench.locustfile import ACCOUNTS, CSRF, Coordinator, Member, PortalUser, Visitor, record, token  # noqa: F401

REQUESTS = open(os.environ["CLUSTER_REQUESTS"], "a", encoding="utf-8")


@events.request.add_listener
def remember(request_type, name, response_time, exception, **_kwargs):
    REQUESTS.write(json.dumps({"t": time.time(), "name": name, "ok": exception is None,
                               "error": str(exception)[:120] if exception else None}) + "\n")
    REQUESTS.flush()


class Resetter(PortalUser):
    """Someone who forgot their password: the reset e-mail is an outbox row written by the web node."""
    weight = 2

    @task
    def reset(self):
        body = self.page("/auth/reset", "reset: form") or ""
        csrf = CSRF.search(body)
        if not csrf:
            return
        email = random.choice(ACCOUNTS["members"])["email"]
        mark = token()
        record(kind="reset", token=mark, outcome="attempt", user=email)
        status, _page = self.post_form("/auth/reset", {"csrf_token": csrf.group(1), "email": email}, "reset: send")
        record(kind="reset", token=mark, outcome="ack" if status == 302 else "failed", user=email)
