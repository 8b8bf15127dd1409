"""meeting_requests carry their two registrations' firms, for the results' meeting figures

Revision ID: c8e1f4a2d6b9
Revises: b5d2e8f1c4a7
Create Date: 2026-12-01

Hand-written. The scorecard, the programme funnel and the network map read the two firms of every meeting
request through its two registrations: two joins over 44,000 registrations for 49,000 meetings, 60–100 ms
of the map's held meetings on PostgreSQL against 13–18 ms with the firms on the request. The columns are
copies (a registration's firm never changes), added with a plain ALTER TABLE (no batch rebuild of a table
that meetings reference) and filled here; new requests get them from the model (events.models._fill_firms).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8e1f4a2d6b9'
down_revision = 'b5d2e8f1c4a7'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('meeting_requests', sa.Column('from_firm_id', sa.Integer(), nullable=True))
    op.add_column('meeting_requests', sa.Column('to_firm_id', sa.Integer(), nullable=True))
    op.execute("UPDATE meeting_requests SET "
               "from_firm_id = (SELECT firm_id FROM event_registrations WHERE id = from_registration_id), "
               "to_firm_id = (SELECT firm_id FROM event_registrations WHERE id = to_registration_id)")


def downgrade():
    # SQLite (3.35+) drops a column in place: no rebuild of the table meetings reference.
    op.drop_column('meeting_requests', 'to_firm_id')
    op.drop_column('meeting_requests', 'from_firm_id')
