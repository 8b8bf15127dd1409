"""drop the indexes only the scorecard's on-the-spot count of active members read

Revision ID: d3f5a7c9e1b4
Revises: c9e1a3b5d7f0
Create Date: 2026-12-06

Hand-written. The scorecards found the firms active in the last 90 days by the time of their responses
(ix_collab_responses_created) and of their held meetings (ix_event_slots_starts_at, ix_meetings_marked_at). The
active members are kept counted now (result_activity_keys, b7d9f1a3c5e8), read from each firm's rows by its own
indexes; nothing else reads these three, and every response, slot and marking wrote them.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd3f5a7c9e1b4'
down_revision = 'c9e1a3b5d7f0'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_collab_responses_created', table_name='collab_responses')
    op.drop_index('ix_event_slots_starts_at', table_name='event_slots')
    op.drop_index('ix_meetings_marked_at', table_name='meetings')


def downgrade():
    op.create_index('ix_meetings_marked_at', 'meetings', ['marked_at'])
    op.create_index('ix_event_slots_starts_at', 'event_slots', ['starts_at'])
    op.create_index('ix_collab_responses_created', 'collab_responses', ['created_at', 'firm_id'])
