"""collaboration requests, responses, messages, outcomes

Revision ID: cef7700d7623
Revises: 30a420f25dbd
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cef7700d7623'
down_revision = '30a420f25dbd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('collab_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('co_investment', 'joint_finance_application', 'joint_purchasing', 'shared_equipment', 'shared_logistics', 'joint_selling', 'trade_fair', 'co_branding', 'seeking_supplier', 'seeking_buyers', 'seeking_processor', 'knowledge', name='kind', native_enum=False), nullable=False),
    sa.Column('position_sought', sa.Enum('upstream', 'midstream', 'downstream', name='position', native_enum=False), nullable=True),
    sa.Column('title_th', sa.String(length=200), nullable=True),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('details_th', sa.Text(), nullable=True),
    sa.Column('details_en', sa.Text(), nullable=True),
    sa.Column('quantity', sa.String(length=120), nullable=True),
    sa.Column('budget_min', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('budget_max', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='requeststatus', native_enum=False), nullable=False),
    sa.Column('close_reason', sa.Enum('partnered', 'not_fulfilled', 'withdrawn', 'expired', name='closereason', native_enum=False), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expiry_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_collab_requests_closed_by_id_users')),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], name=op.f('fk_collab_requests_cluster_id_clusters')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_collab_requests_created_by_id_users')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_collab_requests_firm_id_firms')),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_collab_requests_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collab_requests'))
    )
    with op.batch_alter_table('collab_requests', schema=None) as batch_op:
        batch_op.create_index('ix_collab_requests_board', ['status', 'expires_on', 'id'], unique=False)
        batch_op.create_index('ix_collab_requests_cluster', ['cluster_id', 'status'], unique=False)
        batch_op.create_index('ix_collab_requests_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collab_requests_firm_id'), ['firm_id'], unique=False)

    op.create_table('collab_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('partner_firm_id', sa.Integer(), nullable=False),
    sa.Column('value_baht', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('kind', sa.Enum('cost_saved', 'new_sales', name='outcomekind', native_enum=False), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_collab_outcomes_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['partner_firm_id'], ['firms.id'], name=op.f('fk_collab_outcomes_partner_firm_id_firms')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_collab_outcomes_reported_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['collab_requests.id'], name=op.f('fk_collab_outcomes_request_id_collab_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collab_outcomes')),
    sa.UniqueConstraint('request_id', name=op.f('uq_collab_outcomes_request_id'))
    )
    op.create_table('collab_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'shortlisted', 'accepted', 'declined', 'withdrawn', name='responsestatus', native_enum=False), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_collab_responses_created_by_id_users')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_collab_responses_firm_id_firms')),
    sa.ForeignKeyConstraint(['request_id'], ['collab_requests.id'], name=op.f('fk_collab_responses_request_id_collab_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collab_responses')),
    sa.UniqueConstraint('request_id', 'firm_id', name=op.f('uq_collab_responses_request_id'))
    )
    with op.batch_alter_table('collab_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collab_responses_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index('ix_collab_responses_request', ['request_id'], unique=False)

    op.create_table('collab_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_collab_messages_firm_id_firms')),
    sa.ForeignKeyConstraint(['response_id'], ['collab_responses.id'], name=op.f('fk_collab_messages_response_id_collab_responses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_collab_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collab_messages'))
    )
    with op.batch_alter_table('collab_messages', schema=None) as batch_op:
        batch_op.create_index('ix_collab_messages_firm_created', ['firm_id', 'created_at'], unique=False)
        batch_op.create_index('ix_collab_messages_response', ['response_id', 'id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wants_request_digest', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('last_request_digest_at', sa.DateTime(timezone=True), nullable=True))



    # Request search, the same way as for firms (see portal/search.py and the firms migration).
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE collab_requests_fts USING fts5(search_text, content='collab_requests', "
                   "content_rowid='id', tokenize='trigram')")
        op.execute("CREATE TRIGGER collab_requests_fts_ai AFTER INSERT ON collab_requests BEGIN "
                   "INSERT INTO collab_requests_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("CREATE TRIGGER collab_requests_fts_ad AFTER DELETE ON collab_requests BEGIN "
                   "INSERT INTO collab_requests_fts(collab_requests_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); END")
        op.execute("CREATE TRIGGER collab_requests_fts_au AFTER UPDATE OF search_text ON collab_requests BEGIN "
                   "INSERT INTO collab_requests_fts(collab_requests_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); "
                   "INSERT INTO collab_requests_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("CREATE VIRTUAL TABLE collab_requests_fts_vocab USING fts5vocab(collab_requests_fts, row)")
    elif bind.dialect.name == 'postgresql':
        schema = bind.execute(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")).scalar_one()
        op.execute(f'CREATE INDEX ix_collab_requests_search_trgm ON collab_requests '
                   f'USING gin (search_text "{schema}".gin_trgm_ops)')
        op.execute("ALTER TABLE collab_requests ADD COLUMN search_bigrams text[] NOT NULL DEFAULT '{}'")
        op.execute("""
            CREATE FUNCTION collab_requests_set_search_bigrams() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.search_bigrams := firms_search_bigrams(NEW.search_text); RETURN NEW; END
            $$""")
        op.execute("CREATE TRIGGER collab_requests_search_bigrams BEFORE INSERT OR UPDATE OF search_text "
                   "ON collab_requests FOR EACH ROW EXECUTE FUNCTION collab_requests_set_search_bigrams()")
        op.execute("CREATE INDEX ix_collab_requests_search_bigrams ON collab_requests USING gin (search_bigrams)")

def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for trigger in ("collab_requests_fts_ai", "collab_requests_fts_ad", "collab_requests_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS collab_requests_fts_vocab")
        op.execute("DROP TABLE IF EXISTS collab_requests_fts")
    elif bind.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS collab_requests_search_bigrams ON collab_requests")
        op.execute("DROP FUNCTION IF EXISTS collab_requests_set_search_bigrams()")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_request_digest_at')
        batch_op.drop_column('wants_request_digest')

    with op.batch_alter_table('collab_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_collab_messages_response')
        batch_op.drop_index('ix_collab_messages_firm_created')

    op.drop_table('collab_messages')
    with op.batch_alter_table('collab_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_collab_responses_request')
        batch_op.drop_index(batch_op.f('ix_collab_responses_firm_id'))

    op.drop_table('collab_responses')
    op.drop_table('collab_outcomes')
    with op.batch_alter_table('collab_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collab_requests_firm_id'))
        batch_op.drop_index('ix_collab_requests_created')
        batch_op.drop_index('ix_collab_requests_cluster')
        batch_op.drop_index('ix_collab_requests_board')

    op.drop_table('collab_requests')
