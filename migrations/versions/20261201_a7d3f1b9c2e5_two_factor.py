"""two_factor: authenticator apps (TOTP), recovery codes, passkeys, remembered browsers

Revision ID: a7d3f1b9c2e5
Revises: 872605f08317
Create Date: 2026-12-01

Hand-written. New tables only.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d3f1b9c2e5'
down_revision = '872605f08317'
branch_labels = None
depends_on = None


def _user_fk(table):
    return sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f(f'fk_{table}_user_id_users'),
                                   ondelete='CASCADE')


def upgrade():
    op.create_table(
        'totp_credentials',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_encrypted', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=True),
        _user_fk('totp_credentials'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_totp_credentials')),
    )
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        _user_fk('recovery_codes'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'])
    op.create_table(
        'passkeys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('credential_id', sa.String(length=1400), nullable=False),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('sign_count', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        _user_fk('passkeys'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
        sa.UniqueConstraint('credential_id', name=op.f('uq_passkeys_credential_id')),
    )
    op.create_index(op.f('ix_passkeys_user_id'), 'passkeys', ['user_id'])
    op.create_table(
        'remembered_devices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        _user_fk('remembered_devices'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_remembered_devices')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_remembered_devices_token_hash')),
    )
    op.create_index(op.f('ix_remembered_devices_user_id'), 'remembered_devices', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_remembered_devices_user_id'), table_name='remembered_devices')
    op.drop_table('remembered_devices')
    op.drop_index(op.f('ix_passkeys_user_id'), table_name='passkeys')
    op.drop_table('passkeys')
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_table('totp_credentials')
