"""clusters, firms, memberships and provinces

Revision ID: a62a690b1ab1
Revises: 
Create Date: 2026-11-24

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a62a690b1ab1'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('agency', 'association', name='organisationkind', native_enum=False), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug'))
    )
    op.create_table('provinces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name_th', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provinces')),
    sa.UniqueConstraint('code', name=op.f('uq_provinces_code'))
    )
    op.create_table('clusters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('description_th', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('association_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['organisations.id'], name=op.f('fk_clusters_agency_id_organisations')),
    sa.ForeignKeyConstraint(['association_id'], ['organisations.id'], name=op.f('fk_clusters_association_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clusters')),
    sa.UniqueConstraint('slug', name=op.f('uq_clusters_slug'))
    )
    with op.batch_alter_table('clusters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clusters_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clusters_association_id'), ['association_id'], unique=False)

    op.create_table('firms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('legal_form', sa.Enum('juristic_person', 'community_enterprise', 'individual', name='legalform', native_enum=False), nullable=False),
    sa.Column('registration_number', sa.String(length=13), nullable=True),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Enum('micro', 'small', 'medium', name='firmsize', native_enum=False), nullable=False),
    sa.Column('founded_year', sa.Integer(), nullable=True),
    sa.Column('description_th', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('products_th', sa.Text(), nullable=True),
    sa.Column('products_en', sa.Text(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('line_id', sa.String(length=50), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('public_listing_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_firms_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firms')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_firms_registration_number'))
    )
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firms_province_id'), ['province_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'declined', 'cancelled', 'left', 'removed', name='membershipstatus', native_enum=False), nullable=False),
    sa.Column('offers', sa.Text(), nullable=True),
    sa.Column('seeks', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('fiscal_year', sa.Integer(), nullable=True),
    sa.Column('coordinator_notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], name=op.f('fk_memberships_cluster_id_clusters')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_memberships_firm_id_firms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_cluster_status', ['cluster_id', 'status'], unique=False)
        batch_op.create_index('ix_memberships_firm_id', ['firm_id'], unique=False)
        batch_op.create_index('uq_memberships_current', ['firm_id', 'cluster_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'approved')"), postgresql_where=sa.text("status IN ('pending', 'approved')"))

    op.create_table('membership_positions',
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Enum('upstream', 'midstream', 'downstream', name='position', native_enum=False), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_membership_positions_membership_id_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('membership_id', 'position', name=op.f('pk_membership_positions'))
    )
    with op.batch_alter_table('membership_positions', schema=None) as batch_op:
        batch_op.create_index('ix_membership_positions_position', ['position', 'membership_id'], unique=False)



def downgrade():
    with op.batch_alter_table('membership_positions', schema=None) as batch_op:
        batch_op.drop_index('ix_membership_positions_position')

    op.drop_table('membership_positions')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_memberships_current', sqlite_where=sa.text("status IN ('pending', 'approved')"), postgresql_where=sa.text("status IN ('pending', 'approved')"))
        batch_op.drop_index('ix_memberships_firm_id')
        batch_op.drop_index('ix_memberships_cluster_status')

    op.drop_table('memberships')
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firms_province_id'))

    op.drop_table('firms')
    with op.batch_alter_table('clusters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clusters_association_id'))
        batch_op.drop_index(batch_op.f('ix_clusters_agency_id'))

    op.drop_table('clusters')
    op.drop_table('provinces')
    op.drop_table('organisations')
