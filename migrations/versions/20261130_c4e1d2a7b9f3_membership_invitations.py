"""membership invitations: status 'invited', memberships.invited_at, one open invitation per firm and cluster

Revision ID: c4e1d2a7b9f3
Revises: 5d1c2e7a9b30
Create Date: 2026-11-30

Hand-written. A coordinator's import no longer enrols a firm that has an owner: it invites it, and the
owner accepts or declines. The status column is a VARCHAR(9) without a check constraint
(portal.db.enum_column: native_enum=False, create_constraint=False), so 'invited' needs no type change;
the partial unique index that keeps one current membership per firm and cluster now covers open
invitations too. Plain ALTER TABLE (no batch rebuild of memberships, whose positions cascade from it).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1d2a7b9f3'
down_revision = '5d1c2e7a9b30'
branch_labels = None
depends_on = None

BEFORE = "status IN ('pending', 'approved')"
AFTER = "status IN ('pending', 'approved', 'invited')"


def _recreate_index(old, new):
    op.drop_index('uq_memberships_current', table_name='memberships',
                  sqlite_where=sa.text(old), postgresql_where=sa.text(old))
    op.create_index('uq_memberships_current', 'memberships', ['firm_id', 'cluster_id'], unique=True,
                    sqlite_where=sa.text(new), postgresql_where=sa.text(new))


def upgrade():
    op.add_column('memberships', sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True))
    _recreate_index(BEFORE, AFTER)


def downgrade():
    # Open invitations have no place in the old schema: they were never memberships, so they go.
    op.execute("DELETE FROM membership_positions WHERE membership_id IN "
               "(SELECT id FROM memberships WHERE status = 'invited')")
    op.execute("DELETE FROM memberships WHERE status = 'invited'")
    _recreate_index(AFTER, BEFORE)
    # SQLite (3.35+) drops a column in place.
    op.drop_column('memberships', 'invited_at')
