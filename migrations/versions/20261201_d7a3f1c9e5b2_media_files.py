"""media_files: uploaded logos kept in the database, so several app nodes without a shared disk all serve
them (portal/media)

Revision ID: d7a3f1c9e5b2
Revises: e5a7c9d1f3b2
Create Date: 2026-12-01

Data: every firm logo under UPLOAD_DIR/logos is copied into the table under the same name (firms keep their
logo_filename). A firm whose file is missing loses the reference (the page showed a broken image). The files
are left on disk; delete UPLOAD_DIR/logos once the upgrade is checked. Downgrade writes the rows back as files.
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
revision = 'd7a3f1c9e5b2'
down_revision = 'e5a7c9d1f3b2'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
NAME = re.compile(r"^[0-9a-f]{32}\.webp$")

media = sa.table('media_files', sa.column('id', sa.Integer), sa.column('name', sa.String),
                 sa.column('content_type', sa.String), sa.column('size', sa.Integer),
                 sa.column('sha256', sa.String), sa.column('data', sa.LargeBinary),
                 sa.column('created_at', sa.DateTime(timezone=True)))
firms = sa.table('firms', sa.column('id', sa.Integer), sa.column('logo_filename', sa.String))


def _logo_dir() -> Path:
    try:
        from flask import current_app
        upload_dir = current_app.config["UPLOAD_DIR"]
    except (RuntimeError, KeyError):  # run without the app (plain alembic): the same default as config.py
        upload_dir = os.environ.get("UPLOAD_DIR", str(Path(__file__).resolve().parents[2] / "instance" / "uploads"))
    return Path(upload_dir) / "logos"


def upgrade():
    op.create_table('media_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_files')),
    sa.UniqueConstraint('name', name=op.f('uq_media_files_name'))
    )
    connection = op.get_bind()
    folder = _logo_dir()
    moved = missing = 0
    for firm_id, name in connection.execute(sa.select(firms.c.id, firms.c.logo_filename)
                                            .where(firms.c.logo_filename.is_not(None))).all():
        path = folder / name
        data = path.read_bytes() if NAME.match(name) and path.is_file() else None
        if data is None:
            connection.execute(firms.update().where(firms.c.id == firm_id).values(logo_filename=None))
            missing += 1
            continue
        connection.execute(media.insert().values(name=name, content_type="image/webp", size=len(data),
                                                 sha256=hashlib.sha256(data).hexdigest(), data=data,
                                                 created_at=datetime.now(timezone.utc)))
        moved += 1
    if moved or missing:
        log.info("logos: %s copied from %s into media_files, %s missing (reference removed)", moved, folder, missing)


def downgrade():
    folder = _logo_dir()
    rows = op.get_bind().execute(sa.select(media.c.name, media.c.data)).all()
    if rows:
        folder.mkdir(parents=True, exist_ok=True)
    for name, data in rows:
        if NAME.match(name):
            (folder / name).write_bytes(data)
    op.drop_table('media_files')
