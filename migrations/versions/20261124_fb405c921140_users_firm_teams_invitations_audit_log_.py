"""users, firm teams, invitations, audit log, firm logos

Revision ID: fb405c921140
Revises: a62a690b1ab1
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fb405c921140'
down_revision = 'a62a690b1ab1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('role', sa.Enum('member', 'staff', 'admin', name='role', native_enum=False), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_entries_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_entries_target', ['target_type', 'target_id'], unique=False)

    op.create_table('firm_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('owner', 'editor', name='firmrole', native_enum=False), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_firm_invitations_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_invitations_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_firm_invitations_invited_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_invitations'))
    )
    with op.batch_alter_table('firm_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_invitations_firm_id'), ['firm_id'], unique=False)

    op.create_table('firm_members',
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'editor', name='firmrole', native_enum=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_members_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_firm_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('firm_id', 'user_id', name=op.f('pk_firm_members'))
    )
    with op.batch_alter_table('firm_members', schema=None) as batch_op:
        batch_op.create_index('ix_firm_members_user_id', ['user_id'], unique=False)

    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_filename', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_firms_created_by_id_users'), 'users', ['created_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_firms_created_by_id_users'), type_='foreignkey')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('logo_filename')

    with op.batch_alter_table('firm_members', schema=None) as batch_op:
        batch_op.drop_index('ix_firm_members_user_id')

    op.drop_table('firm_members')
    with op.batch_alter_table('firm_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_invitations_firm_id'))

    op.drop_table('firm_invitations')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_target')
        batch_op.drop_index('ix_audit_entries_created_at')
        batch_op.drop_index('ix_audit_entries_actor_id')

    op.drop_table('audit_entries')
    op.drop_table('users')
