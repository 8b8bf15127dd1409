"""outcomes from follow-ups: an outcome names its firm, cluster and aim itself, and may come from a
follow-up answer instead of a request

Revision ID: c4e8a2f6b1d3
Revises: d7e3b1f5a9c2
Create Date: 2026-12-01

Hand-written. The new columns are filled from each outcome's request (its poster, its cluster, its kind's
aim: the KIND_AIMS table of portal.collab.models, written out here so that the migration does not change
if the code does), then made NOT NULL; request_id becomes nullable for outcomes from follow-ups.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4e8a2f6b1d3'
down_revision = 'd7e3b1f5a9c2'
branch_labels = None
depends_on = None

KIND_AIMS = {
    'co_investment': 'finance', 'joint_finance_application': 'finance',
    'joint_purchasing': 'cost', 'shared_equipment': 'cost', 'shared_logistics': 'cost',
    'joint_selling': 'market', 'trade_fair': 'market', 'co_branding': 'market',
    'seeking_supplier': 'supply_chain', 'seeking_buyers': 'supply_chain', 'seeking_processor': 'supply_chain',
    'knowledge': 'knowledge',
}
AIM = sa.Enum('finance', 'cost', 'market', 'supply_chain', 'knowledge', name='aim', native_enum=False,
              create_constraint=False, length=12)


def upgrade():
    with op.batch_alter_table('collab_outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('firm_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cluster_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('aim', AIM, nullable=True))

    whens = " ".join(f"WHEN '{kind}' THEN '{aim}'" for kind, aim in KIND_AIMS.items())
    op.execute(f"""
        UPDATE collab_outcomes SET
          firm_id = (SELECT r.firm_id FROM collab_requests r WHERE r.id = collab_outcomes.request_id),
          cluster_id = (SELECT r.cluster_id FROM collab_requests r WHERE r.id = collab_outcomes.request_id),
          aim = (SELECT CASE r.kind {whens} END FROM collab_requests r WHERE r.id = collab_outcomes.request_id)
    """)

    with op.batch_alter_table('collab_outcomes', schema=None) as batch_op:
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('firm_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('aim', existing_type=AIM, nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_collab_outcomes_followup_id'), ['followup_id'])
        batch_op.create_foreign_key(batch_op.f('fk_collab_outcomes_followup_id_followups'), 'followups',
                                    ['followup_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_collab_outcomes_firm_id_firms'), 'firms', ['firm_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_collab_outcomes_cluster_id_clusters'), 'clusters',
                                    ['cluster_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_collab_outcomes_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collab_outcomes_cluster_id'), ['cluster_id'], unique=False)


def downgrade():
    # Outcomes from follow-ups have no request: they go (their answers stay on the followups table).
    op.execute("DELETE FROM collab_outcomes WHERE request_id IS NULL")
    with op.batch_alter_table('collab_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collab_outcomes_cluster_id'))
        batch_op.drop_index(batch_op.f('ix_collab_outcomes_firm_id'))
        batch_op.drop_constraint(batch_op.f('fk_collab_outcomes_cluster_id_clusters'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_collab_outcomes_firm_id_firms'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_collab_outcomes_followup_id_followups'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_collab_outcomes_followup_id'), type_='unique')
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('aim')
        batch_op.drop_column('cluster_id')
        batch_op.drop_column('firm_id')
        batch_op.drop_column('followup_id')
