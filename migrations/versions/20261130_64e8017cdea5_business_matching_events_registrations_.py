"""business matching days: events, sessions and slots, tables, registrations with availability, meeting
requests and meetings

Revision ID: 64e8017cdea5
Revises: b5d8e2a41c07
Create Date: 2026-11-30

Tables only, no data. Enums are portable strings (no native PostgreSQL enum to drop on downgrade).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '64e8017cdea5'
down_revision = 'b5d8e2a41c07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_th', sa.String(length=200), nullable=True),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('description_th', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('venue', sa.String(length=300), nullable=True),
    sa.Column('online_url', sa.String(length=300), nullable=True),
    sa.Column('registration_opens_on', sa.Date(), nullable=False),
    sa.Column('registration_closes_on', sa.Date(), nullable=False),
    sa.Column('booking_opens_on', sa.Date(), nullable=False),
    sa.Column('booking_closes_on', sa.Date(), nullable=False),
    sa.Column('meeting_minutes', sa.Integer(), nullable=False),
    sa.Column('max_meetings_per_firm', sa.Integer(), nullable=False),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'published', 'cancelled', name='eventstatus', native_enum=False), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_events_created_by_id_users')),
    sa.ForeignKeyConstraint(['organiser_id'], ['organisations.id'], name=op.f('fk_events_organiser_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_booking_closes_on'), ['booking_closes_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_starts_on'), ['starts_on'], unique=False)

    op.create_table('event_clusters',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], name=op.f('fk_event_clusters_cluster_id_clusters')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_clusters_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'cluster_id', name=op.f('pk_event_clusters'))
    )
    op.create_table('event_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('attendees', sa.String(length=300), nullable=False),
    sa.Column('offers', sa.Text(), nullable=True),
    sa.Column('seeks', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'declined', 'withdrawn', name='registrationstatus', native_enum=False), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_event_registrations_decided_by_id_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_registrations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_event_registrations_firm_id_firms')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_event_registrations_registered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_registrations')),
    sa.UniqueConstraint('event_id', 'firm_id', name=op.f('uq_event_registrations_event_id'))
    )
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_registrations_firm_id'), ['firm_id'], unique=False)

    op.create_table('event_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('slot_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_sessions_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_sessions'))
    )
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_sessions_event_id'), ['event_id'], unique=False)

    op.create_table('event_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_tables_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_tables')),
    sa.UniqueConstraint('event_id', 'position', name=op.f('uq_event_tables_event_id'))
    )
    with op.batch_alter_table('event_tables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_tables_event_id'), ['event_id'], unique=False)

    op.create_table('event_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_slots_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'], name=op.f('fk_event_slots_session_id_event_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_slots')),
    sa.UniqueConstraint('event_id', 'position', name=op.f('uq_event_slots_event_id'))
    )
    with op.batch_alter_table('event_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_slots_session_id'), ['session_id'], unique=False)

    op.create_table('meeting_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('from_registration_id', sa.Integer(), nullable=False),
    sa.Column('to_registration_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'cancelled', 'expired', name='meetingrequeststatus', native_enum=False), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_meeting_requests_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_registration_id'], ['event_registrations.id'], name=op.f('fk_meeting_requests_from_registration_id_event_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_meeting_requests_requested_by_id_users')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_meeting_requests_responded_by_id_users')),
    sa.ForeignKeyConstraint(['to_registration_id'], ['event_registrations.id'], name=op.f('fk_meeting_requests_to_registration_id_event_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_requests'))
    )
    with op.batch_alter_table('meeting_requests', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_requests_event_status', ['event_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_requests_from_registration_id'), ['from_registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_requests_to_registration_id'), ['to_registration_id'], unique=False)

    op.create_table('registration_requests',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['event_registrations.id'], name=op.f('fk_registration_requests_registration_id_event_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['collab_requests.id'], name=op.f('fk_registration_requests_request_id_collab_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'request_id', name=op.f('pk_registration_requests'))
    )
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('table_id', sa.Integer(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('scheduled', 'held', 'no_show', name='meetingstate', native_enum=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_meetings_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['meeting_requests.id'], name=op.f('fk_meetings_request_id_meeting_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['event_slots.id'], name=op.f('fk_meetings_slot_id_event_slots')),
    sa.ForeignKeyConstraint(['table_id'], ['event_tables.id'], name=op.f('fk_meetings_table_id_event_tables')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('request_id', name=op.f('uq_meetings_request_id')),
    sa.UniqueConstraint('slot_id', 'table_id', name=op.f('uq_meetings_slot_id'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_event_id'), ['event_id'], unique=False)

    op.create_table('registration_slots',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['event_registrations.id'], name=op.f('fk_registration_slots_registration_id_event_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['event_slots.id'], name=op.f('fk_registration_slots_slot_id_event_slots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'slot_id', name=op.f('pk_registration_slots'))
    )


def downgrade():
    op.drop_table('registration_slots')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_event_id'))

    op.drop_table('meetings')
    op.drop_table('registration_requests')
    with op.batch_alter_table('meeting_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_requests_to_registration_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_requests_from_registration_id'))
        batch_op.drop_index('ix_meeting_requests_event_status')

    op.drop_table('meeting_requests')
    with op.batch_alter_table('event_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_slots_session_id'))

    op.drop_table('event_slots')
    with op.batch_alter_table('event_tables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_tables_event_id'))

    op.drop_table('event_tables')
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_sessions_event_id'))

    op.drop_table('event_sessions')
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_registrations_firm_id'))

    op.drop_table('event_registrations')
    op.drop_table('event_clusters')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_starts_on'))
        batch_op.drop_index(batch_op.f('ix_events_booking_closes_on'))

    op.drop_table('events')
