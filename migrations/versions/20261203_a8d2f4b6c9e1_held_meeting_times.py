"""Indexes on a held meeting's time: event_slots.starts_at and meetings.marked_at

Revision ID: a8d2f4b6c9e1
Revises: d5f7b9c1e3a4
Create Date: 2026-12-03

Hand-written. A cluster's active members (the scorecards) include the firms with a meeting held in the last 90
days of the year: at its slot's start, or when it was marked held if it had no slot. Neither time had an
index, so every held meeting was read and joined to its slot. portal.scorecard.queries.held_between now
finds each half by its own index.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a8d2f4b6c9e1'
down_revision = 'd5f7b9c1e3a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_event_slots_starts_at', 'event_slots', ['starts_at'])
    op.create_index('ix_meetings_marked_at', 'meetings', ['marked_at'])


def downgrade():
    op.drop_index('ix_meetings_marked_at', table_name='meetings')
    op.drop_index('ix_event_slots_starts_at', table_name='event_slots')
