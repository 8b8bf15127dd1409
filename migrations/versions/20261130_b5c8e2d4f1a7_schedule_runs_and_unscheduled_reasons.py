"""schedule runs, and why a meeting was left unplaced

Revision ID: b5c8e2d4f1a7
Revises: 7d3e9a1b5c2f
Create Date: 2026-11-30

One row per run of the scheduler (asked for by an organiser, done by a worker), and a reason code on each
meeting the scheduler could not place. Enums are portable strings.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5c8e2d4f1a7'
down_revision = '7d3e9a1b5c2f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('schedule_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='schedulerunstatus',
                                native_enum=False, create_constraint=False, length=7), nullable=False),
    sa.Column('error', sa.String(length=20), nullable=True),
    sa.Column('solver_status', sa.String(length=20), nullable=True),
    sa.Column('meetings', sa.Integer(), nullable=True),
    sa.Column('bound', sa.Integer(), nullable=True),
    sa.Column('gaps', sa.Integer(), nullable=True),
    sa.Column('unscheduled', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_schedule_runs_actor_id_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_schedule_runs_event_id_events'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_runs'))
    )
    with op.batch_alter_table('schedule_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_runs_event_id'), ['event_id'], unique=False)
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unscheduled_reason', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('unscheduled_reason')
    with op.batch_alter_table('schedule_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_runs_event_id'))
    op.drop_table('schedule_runs')
