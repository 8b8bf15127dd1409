"""following: follows (a user follows a firm or a cluster), saved_searches (a list's filters with a name and
a frequency, for alerts), follow_fanouts (one announcement to followers, worked through by a worker)

Revision ID: 872605f08317
Revises: a7d3f9b2c6e1
Create Date: 2026-12-01

Generated, then reviewed. New tables only.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '872605f08317'
down_revision = 'a7d3f9b2c6e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_fanouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'running', 'done', name='fanoutstatus', native_enum=False), nullable=False),
    sa.Column('after_user_id', sa.Integer(), nullable=False),
    sa.Column('notified', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_follow_fanouts_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_fanouts'))
    )
    with op.batch_alter_table('follow_fanouts', schema=None) as batch_op:
        batch_op.create_index('ix_follow_fanouts_status', ['status', 'created_at'], unique=False)

    op.create_table('saved_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('list', sa.Enum('directory', 'board', name='searchlist', native_enum=False), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('frequency', sa.Enum('immediate', 'daily', name='frequency', native_enum=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_searches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches'))
    )
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.create_index('ix_saved_searches_frequency_id', ['frequency', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_searches_user_id'), ['user_id'], unique=False)

    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('cluster_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(firm_id IS NULL) <> (cluster_id IS NULL)', name=op.f('ck_follows_one_target')),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], name=op.f('fk_follows_cluster_id_clusters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_follows_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('user_id', 'cluster_id', name='uq_follows_user_cluster'),
    sa.UniqueConstraint('user_id', 'firm_id', name='uq_follows_user_firm')
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follows_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_firm_id'), ['firm_id'], unique=False)



def downgrade():
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follows_firm_id'))
        batch_op.drop_index(batch_op.f('ix_follows_cluster_id'))

    op.drop_table('follows')
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_searches_user_id'))
        batch_op.drop_index('ix_saved_searches_frequency_id')

    op.drop_table('saved_searches')
    with op.batch_alter_table('follow_fanouts', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_fanouts_status')

    op.drop_table('follow_fanouts')
