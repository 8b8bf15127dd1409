"""consent_records: what each person accepted of the privacy notice (version, when, how), and grants and
withdrawals of firms' public-listing consent (PDPA evidence, portal/privacy)

Revision ID: b8e2d4f6a9c1
Revises: c4e8a1d2b7f3
Create Date: 2026-12-01

New table only. Existing firms' current listing consent is not back-filled as history: their
public_listing_consent_at stays the record of when it was given.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b8e2d4f6a9c1'
down_revision = 'c4e8a1d2b7f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('notice', 'listing', name='consentkind', native_enum=False,
                              create_constraint=False, length=7), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('method', sa.Enum('registration', 'reacceptance', 'firm_form', 'withdraw_button', name='consentmethod',
                                native_enum=False, create_constraint=False, length=15), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_consent_records_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consent_records_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index('ix_consent_records_firm_id', ['firm_id', 'created_at'], unique=False)
        batch_op.create_index('ix_consent_records_user_id', ['user_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_records_user_id')
        batch_op.drop_index('ix_consent_records_firm_id')

    op.drop_table('consent_records')
