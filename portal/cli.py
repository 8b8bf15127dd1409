"""Command-line tasks: `flask translate …` for contributors, `flask seed …` for reference and demo data,
`flask results rebuild` to recount the dashboard's membership figures, `flask search rebuild-vocabulary` to
recount the words "did you mean" offers, `flask jobs worker` for the background worker."""
import subprocess  # nosec B404  # runs pybabel (our interpreter, fixed arguments)
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]
# Babel skips folders starting with "_" by default, which would miss templates/_macros/.
EXTRACT_ARGS = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "_ln:1,2", "-k", "_lp:1c,2", "--no-location",
                "--sort-output",
                "--ignore-dirs", ".* __pycache__ node_modules instance tests"]

translate_cli = AppGroup("translate", help="Extract, update and compile the Thai message catalogue.")
seed_cli = AppGroup("seed", help="Load reference data (provinces, clusters) and demo data.")


def _pybabel(*args):
    subprocess.run([*PYBABEL, *args], check=True, cwd=ROOT)  # nosec B603  # no shell; arguments from this module


@translate_cli.command("update")
def translate_update():
    """Extract messages from code and templates, and merge them into translations/*/messages.po."""
    _pybabel(*EXTRACT_ARGS, "-o", "messages.pot", ".")
    _pybabel("update", "-i", "messages.pot", "-d", "translations", "--no-fuzzy-matching")
    click.echo("Catalogues updated: translate the new entries in translations/th/LC_MESSAGES/messages.po.")


@translate_cli.command("compile")
def translate_compile():
    """Compile the .po catalogues into the .mo files the app reads."""
    _pybabel("compile", "-d", "translations", "--statistics")


@seed_cli.command("reference")
def seed_reference():
    """Load or refresh the 77 provinces and the clusters with their organisations."""
    from portal.seed.reference import load_clusters, load_provinces

    provinces = load_provinces()
    clusters = load_clusters()
    db.session.commit()
    click.echo(f"Reference data: {provinces} province rows and {clusters} cluster/organisation rows changed.")


@seed_cli.command("demo")
@click.option("--seed", default=None, type=int, help="Random seed (default 2563).")
@click.option("--firms", default=None, type=click.IntRange(1, 100_000), help="How many firms (default 200).")
def seed_demo(seed, firms):
    """Load the reference data, then demo firms once; running it again changes nothing."""
    from portal.firms.models import Firm
    from portal.seed import demo
    from portal.seed.reference import load_clusters, load_provinces

    load_provinces()
    load_clusters()
    if db.session.scalar(db.select(Firm.id).limit(1)) is not None:
        db.session.commit()
        click.echo("Demo data is already loaded; nothing changed.")
        return
    click.echo(f"Generating demo firms into {current_app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]} …")
    counts = demo.generate(
        seed=seed if seed is not None else demo.DEFAULT_SEED,
        firms=firms or demo.DEFAULT_FIRMS,
        progress=lambda done, total: click.echo(f"  {done}/{total} firms"),
    )
    db.session.commit()
    click.echo(
        f"Demo data loaded: {counts['firms']} firms, {counts['memberships']} memberships, "
        f"{counts['positions']} value-chain positions."
    )
    click.echo(f"Demo sign-in, password {demo.DEMO_PASSWORD}: {demo.DEMO_EMAIL} (owner of three firms), "
               f"{demo.DEMO_COORDINATOR} (Betta fish coordinator), {demo.DEMO_STAFF} (OSMEP staff)")


glossary_cli = AppGroup("glossary", help="The cross-language search glossary.")


@glossary_cli.command("load")
def glossary_load():
    """Add the pairs of portal/data/glossary.csv the glossary has never had; running it again changes nothing
    (an entry staff retired stays retired)."""
    from portal.exceptions import RuleViolation
    from portal.glossary.services import load_csv

    try:
        added = load_csv()
    except RuleViolation as exc:
        raise click.ClickException(f"portal/data/glossary.csv: {exc.message} ({exc.field})") from None
    db.session.commit()
    click.echo(f"Glossary: {added} pairs added.")


staff_cli = AppGroup("staff", help="Appoint and remove OSMEP staff.")
notifications_cli = AppGroup("notifications", help="Notification e-mails.")


def _user_or_fail(email):
    from portal.auth.services import get_by_email

    user = get_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}.")
    return user


def _change_role(email, expected, new, action, done):
    from portal import audit

    user = _user_or_fail(email)
    if user.role is not expected:
        click.echo(f"{user.email} is {user.role.value}; nothing changed.")
        return
    user.role = new
    audit.record(None, action, user, reason=f"flask staff ({action})")
    db.session.commit()
    click.echo(done.format(email=user.email))


@staff_cli.command("grant")
@click.argument("email")
def staff_grant(email):
    """Make the account with EMAIL OSMEP staff (they moderate and appoint coordinators)."""
    from portal.auth.models import Role

    _change_role(email, Role.MEMBER, Role.STAFF, "user.staff_granted", "{email} is now OSMEP staff.")


@staff_cli.command("admin")
@click.argument("email")
def staff_admin(email):
    """Make the account with EMAIL an administrator (appoints staff at /admin/staff). For the first one."""
    from portal.auth.models import Role

    user = _user_or_fail(email)
    if user.role is Role.ADMIN:
        click.echo(f"{user.email} is admin; nothing changed.")
        return
    _change_role(email, user.role, Role.ADMIN, "user.admin_granted", "{email} is now an administrator.")


@staff_cli.command("revoke")
@click.argument("email")
def staff_revoke(email):
    """Return a staff account to an ordinary member."""
    from portal.auth.models import Role

    _change_role(email, Role.STAFF, Role.MEMBER, "user.staff_revoked", "{email} is no longer staff.")


def _run_now(work):
    """A job run by hand: its messages go to the outbox with its commit, then a worker is nudged."""
    from portal.jobs.tasks import nudge_if_committed

    outcome = work()
    db.session.commit()
    nudge_if_committed()
    return outcome


@notifications_cli.command("digest")
def notifications_digest():
    """Queue the daily digest e-mails now (the scheduler does it every morning; see `flask jobs`)."""
    from portal.notifications.services import send_digests

    users, items = _run_now(send_digests)
    click.echo(f"Digest sent to {users} users ({items} notifications).")


requests_cli = AppGroup("requests", help="Collaboration requests: expiry and digests (the scheduler runs them daily).")


@requests_cli.command("expire")
def requests_expire():
    """Record the closure of requests past their date, and warn posters a week before."""
    from portal.collab.services import expire_requests

    run = _run_now(expire_requests)
    click.echo(f"{run.expired} requests closed as expired; {run.warned} posters warned of a closing date.")
    if run.skipped:
        click.echo(f"{run.skipped} requests were changed by their posters during the run and left as they are.")


@requests_cli.command("digest")
def requests_digest():
    """Tell users who asked for it how many new open requests fit their firms."""
    from portal.collab.services import request_digests

    sent = _run_now(request_digests)
    click.echo(f"{sent} request digests sent.")


jobs_cli = AppGroup("jobs", help="Background work: the worker, and the periodic jobs.")


@jobs_cli.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Worker threads in this process.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the scheduler that enqueues the periodic jobs (one or two per site is plenty).")
def jobs_worker(workers, periodic):
    """Run a Huey consumer: delivers the outbox and runs the periodic jobs. Stop it with Ctrl+C."""
    import logging

    from portal.jobs import queue, tasks  # noqa: F401  (registers the tasks)

    if current_app.config.get("JOBS_IMMEDIATE"):
        raise click.ClickException("JOBS_IMMEDIATE is set: tasks run where they are called; no worker needed.")
    logging.getLogger("huey").setLevel(logging.INFO)
    click.echo(f"Worker: {workers} threads, periodic jobs {'on' if periodic else 'off'}, queue {queue.huey.name}.")
    queue.huey.create_consumer(workers=workers, periodic=periodic, worker_type="thread",
                               check_worker_health=True).run()


@jobs_cli.command("run")
@click.argument("name", required=False)
def jobs_run(name):
    """Run the periodic jobs that are due now (or one job by NAME, whatever its period)."""
    from portal.jobs import periodic

    if name is None:
        for job, outcome in periodic.run_due().items():
            click.echo(f"{job}: {outcome if outcome is not None else 'ran already in this period'}")
        return
    job = periodic.BY_NAME.get(name)
    if job is None:
        raise click.BadParameter(f"unknown job; one of: {', '.join(periodic.BY_NAME)}", param_hint="NAME")
    click.echo(f"{name}: {_run_now(job.run)}")


results_cli = AppGroup("results", help="Programme results: the counts kept behind the dashboard.")


@results_cli.command("rebuild")
def results_rebuild():
    """Recount the results' kept figures: members, partner pairs, requests, meetings, follow-ups (after a bulk
    load or a repair)."""
    from portal.admin.dashboard import member_counts
    from portal.admin.rollup import rebuild
    from portal.db import utcnow
    from portal.thai import fiscal_year

    keys = rebuild(db.session)
    db.session.commit()
    members = member_counts(None, fiscal_year(utcnow()))["member"].get("", 0)
    click.echo(f"Results recounted: {members} member firms in the programme, {keys} firm figures kept.")


search_cli = AppGroup("search", help="Search: the vocabulary behind \"did you mean\".")


@search_cli.command("rebuild-vocabulary")
@click.option("--batch", default=5000, show_default=True, help="Records read per query.")
def search_rebuild_vocabulary(batch):
    """Count the words of every firm and request again (after a bulk load, or to refresh the counts)."""
    import time

    from portal.search import vocabulary

    started = time.perf_counter()
    words = vocabulary.rebuild(db.session, progress=click.echo, batch=batch)
    db.session.commit()
    click.echo(f"Vocabulary rebuilt: {words:,} words in {time.perf_counter() - started:.1f} s.")
