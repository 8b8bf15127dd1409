"""fiscal years on requests and outcomes, outcome confirmation

Revision ID: dce6dad4feb9
Revises: b7fb60da5846
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

from portal.search import sqlite_fts_triggers


# revision identifiers, used by Alembic.
revision = 'dce6dad4feb9'
down_revision = 'b7fb60da5846'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('collab_outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fiscal_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmation', sa.Enum('unconfirmed', 'confirmed', 'queried', name='confirmation', native_enum=False), server_default='unconfirmed', nullable=False))
        batch_op.add_column(sa.Column('confirmation_note', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_collab_outcomes_fiscal_year'), ['fiscal_year'], unique=False)

    with op.batch_alter_table('collab_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fiscal_year', sa.Integer(), nullable=True))
        batch_op.create_index('ix_collab_requests_fiscal_year', ['fiscal_year', 'cluster_id'], unique=False)


    bind = op.get_bind()
    # Fill the fiscal years of existing requests and outcomes (Bangkok time, B.E.), then make sure the
    # search triggers survived the batch operations.
    from portal.thai import fiscal_year
    for table in ("collab_requests", "collab_outcomes"):
        rows = sa.table(table, sa.column("id"), sa.column("created_at"), sa.column("fiscal_year"))
        for row_id, created in bind.execute(sa.select(rows.c.id, rows.c.created_at)).all():
            if isinstance(created, str):
                from datetime import datetime
                created = datetime.fromisoformat(created)
            bind.execute(rows.update().where(rows.c.id == row_id).values(fiscal_year=fiscal_year(created)))
    if bind.dialect.name == 'sqlite':
        for statement in sqlite_fts_triggers("collab_requests"):
            op.execute(statement)
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_fiscal_year_firm', ['fiscal_year', 'firm_id'], unique=False)
        batch_op.create_index('ix_memberships_status_firm', ['status', 'firm_id', 'cluster_id'], unique=False)

def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_status_firm')
        batch_op.drop_index('ix_memberships_fiscal_year_firm')
    with op.batch_alter_table('collab_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_collab_requests_fiscal_year')
        batch_op.drop_column('fiscal_year')

    with op.batch_alter_table('collab_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collab_outcomes_fiscal_year'))
        batch_op.drop_column('confirmation_note')
        batch_op.drop_column('confirmation')
        batch_op.drop_column('fiscal_year')

