"""row versions (optimistic locking) on memberships, requests and responses; one accepted response per request

Revision ID: 3434aa0ef373
Revises: dce6dad4feb9
Create Date: 2026-11-24

Hand-written. The columns are added with plain ALTER TABLE (no batch rebuild), so on SQLite the
collab_requests search triggers stay as they are.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3434aa0ef373'
down_revision = 'dce6dad4feb9'
branch_labels = None
depends_on = None

VERSIONED = ('memberships', 'collab_requests', 'collab_responses')
ACCEPTED = "status = 'accepted'"


def upgrade():
    for table in VERSIONED:
        op.add_column(table, sa.Column('version_id', sa.Integer(), server_default='1', nullable=False))

    # The unique index cannot be built over requests that already have two accepted responses; which
    # one is the partner is for a person to decide (the firms were told), so stop and say which.
    bind = op.get_bind()
    twice = bind.execute(sa.text(
        "SELECT request_id FROM collab_responses WHERE status = 'accepted' "
        "GROUP BY request_id HAVING COUNT(*) > 1 ORDER BY request_id")).scalars().all()
    if twice:
        raise RuntimeError(
            "These requests have more than one accepted response: %s. Set all but one of them back to "
            "'shortlisted' (collab_responses.status), then run the upgrade again." % ", ".join(map(str, twice)))
    op.create_index('uq_collab_responses_accepted', 'collab_responses', ['request_id'], unique=True,
                    sqlite_where=sa.text(ACCEPTED), postgresql_where=sa.text(ACCEPTED))


def downgrade():
    op.drop_index('uq_collab_responses_accepted', table_name='collab_responses',
                  sqlite_where=sa.text(ACCEPTED), postgresql_where=sa.text(ACCEPTED))
    for table in reversed(VERSIONED):
        # SQLite (3.35+) drops a column in place, so the search triggers are kept here as well.
        op.drop_column(table, 'version_id')
