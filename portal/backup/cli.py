"""`flask backup` and `flask restore`: operator commands (English output, for logs and cron mail)."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.backup import services
from portal.backup.archive import BackupError
from portal.extensions import db


@click.command("backup")
@click.option("--output", "output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the archive (default: BACKUP_DIR, instance/backups).")
@with_appcontext
def backup_command(output):
    """Write one archive with the database, the uploaded files and a manifest (safe while the portal runs)."""
    folder = (output or Path(current_app.config["BACKUP_DIR"])).resolve()
    try:
        path = services.create_backup(folder, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written: {path} ({services.human_size(path.stat().st_size)})")


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(archive, yes):
    """Replace the database and the uploaded files with those of ARCHIVE, after checking it.

    Stop the portal first. An archive from an older version of the code restores as it was: run
    `flask db upgrade` afterwards (the command says so).
    """
    try:
        with services.prepared_restore(archive.resolve()) as prepared:
            _describe(prepared)
            if not yes and not click.confirm("Replace ALL current data and uploaded files with this backup?",
                                             default=False):
                click.echo("Restore cancelled; nothing was changed.")
                raise click.exceptions.Exit(1)
            warnings = services.apply_restore(prepared, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in warnings:
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    click.echo(f"Restored {archive.name}.")


def _describe(prepared) -> None:
    manifest = prepared.manifest
    counts = ", ".join(f"{n} {table}" for table, n in manifest["row_counts"].items())
    uploads = sum(1 for name in manifest["files"] if name.startswith("uploads/"))
    click.echo(f"Archive {prepared.archive.name}: made {manifest['created_at']}, {manifest['dialect']}, "
               f"migration {manifest.get('alembic_revision')}")
    click.echo(f"  {counts}; {uploads} uploaded files")
    click.echo(f"Target: {db.engine.url.render_as_string(hide_password=True)} and {current_app.config['UPLOAD_DIR']}")
    others = services.other_sessions()
    if others:
        click.secho(f"  {others} other sessions are connected to the database: the restore waits for their locks. "
                    "Stop the portal first.", fg="yellow")
    if prepared.revision_status == "older":
        click.echo("  The backup is from an older version of the database: run `flask db upgrade` after restoring.")
