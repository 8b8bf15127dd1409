"""Command-line tasks: `flask translate …` for contributors, `flask seed …` for reference and demo data."""
import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]
# Babel skips folders starting with "_" by default, which would miss templates/_macros/.
EXTRACT_ARGS = ["extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
                "--ignore-dirs", ".* __pycache__ node_modules instance tests"]

translate_cli = AppGroup("translate", help="Extract, update and compile the Thai message catalogue.")
seed_cli = AppGroup("seed", help="Load reference data (provinces, clusters) and demo data.")


def _pybabel(*args):
    subprocess.run([*PYBABEL, *args], check=True, cwd=ROOT)


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
    click.echo(f"Demo sign-in: {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD} (owner of three demo firms)")
