"""media_files.purpose: member import files and "Download my data" ZIPs move into the database beside the
logos, so that a preview uploaded through one app node can be confirmed through another and run by any
worker, and an export built by a worker can be downloaded from any node (portal/media)

Revision ID: f2b6d8a4c1e7
Revises: d7a3f1c9e5b2
Create Date: 2026-12-01

Data: every import file under UPLOAD_DIR/imports (<token>.csv) and every ready export ZIP under EXPORT_DIR
(default UPLOAD_DIR/exports) named by a data_exports row is copied into the table under the same name, then
deleted from disk: both hold personal data, which should not be left behind in a folder nothing cleans any
more. A ready export whose file is missing is marked removed (its link said "expired" already). Downgrade
writes the rows back as files.
"""
import hashlib
import logging
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2b6d8a4c1e7'
down_revision = 'd7a3f1c9e5b2'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
IMPORT_NAME = re.compile(r"^[0-9a-f]{32}\.csv$")
EXPORT_NAME = re.compile(r"^[0-9a-f]{32}\.zip$")

media = sa.table('media_files', sa.column('id', sa.Integer), sa.column('name', sa.String),
                 sa.column('purpose', sa.String), sa.column('content_type', sa.String),
                 sa.column('size', sa.Integer), sa.column('sha256', sa.String), sa.column('data', sa.LargeBinary),
                 sa.column('created_at', sa.DateTime(timezone=True)))
exports = sa.table('data_exports', sa.column('id', sa.Integer), sa.column('status', sa.String),
                   sa.column('file_name', sa.String))


def _config(name: str) -> str | None:
    try:
        from flask import current_app
        return current_app.config.get(name)
    except RuntimeError:  # run without the app (plain alembic): the environment, as config.py reads it
        return os.environ.get(name)


def _folders() -> tuple[Path, Path]:
    uploads = Path(_config("UPLOAD_DIR") or Path(__file__).resolve().parents[2] / "instance" / "uploads")
    return uploads / "imports", Path(_config("EXPORT_DIR") or uploads / "exports")


def _insert(connection, name, purpose, content_type, path: Path) -> None:
    data = path.read_bytes()
    created = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    connection.execute(media.insert().values(name=name, purpose=purpose, content_type=content_type, size=len(data),
                                             sha256=hashlib.sha256(data).hexdigest(), data=data, created_at=created))


def upgrade():
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), server_default='logo', nullable=False))
        batch_op.create_index('ix_media_files_purpose_created', ['purpose', 'created_at'], unique=False)
    connection = op.get_bind()
    imports, export_dir = _folders()
    copied = []
    for path in sorted(imports.glob("*.csv")) if imports.is_dir() else ():
        if IMPORT_NAME.match(path.name):
            _insert(connection, path.name, "import", "application/octet-stream", path)
            copied.append(path)
    ready = connection.execute(sa.select(exports.c.id, exports.c.file_name)
                               .where(exports.c.status == "ready", exports.c.file_name.is_not(None))).all()
    missing = 0
    for export_id, name in ready:
        path = export_dir / name
        if EXPORT_NAME.match(name) and path.is_file():
            _insert(connection, name, "export", "application/zip", path)
            copied.append(path)
        else:
            connection.execute(exports.update().where(exports.c.id == export_id)
                               .values(status="removed", file_name=None))
            missing += 1
    for path in copied:
        path.unlink(missing_ok=True)
    if copied or missing:
        log.info("media: %s import and export files moved into media_files, %s ready exports without a file",
                 len(copied), missing)


def downgrade():
    connection = op.get_bind()
    imports, export_dir = _folders()
    for name, purpose, data in connection.execute(
            sa.select(media.c.name, media.c.purpose, media.c.data).where(media.c.purpose != "logo")).all():
        folder = imports if purpose == "import" else export_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    connection.execute(media.delete().where(media.c.purpose != "logo"))
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index('ix_media_files_purpose_created')
        batch_op.drop_column('purpose')
