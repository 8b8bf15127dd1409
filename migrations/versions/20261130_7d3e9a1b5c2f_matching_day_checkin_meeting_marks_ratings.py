"""the matching day itself: check-in codes and reminders on registrations; held/no-show marks and each
side's rating and "continue?" answer on meetings

Revision ID: 7d3e9a1b5c2f
Revises: 64e8017cdea5
Create Date: 2026-11-30

Registrations approved before this revision get their check-in token and short code here, so every approved
registration has one (portal/events/checkin.py issues them from now on).
"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7d3e9a1b5c2f'
down_revision = '64e8017cdea5'
branch_labels = None
depends_on = None

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as portal/events/checkin.py: no 0/O, 1/I


def upgrade():
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('checkin_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('checked_in_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_event_registrations_checkin_token'), ['checkin_token'])
        batch_op.create_unique_constraint(batch_op.f('uq_event_registrations_checkin_code'), ['checkin_code'])
        batch_op.create_foreign_key(batch_op.f('fk_event_registrations_checked_in_by_id_users'), 'users',
                                    ['checked_in_by_id'], ['id'])

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('marked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sender_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sender_continues', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('receiver_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('receiver_continues', sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_meetings_marked_by_id_users'), 'users', ['marked_by_id'], ['id'])

    registrations = sa.table('event_registrations', sa.column('id', sa.Integer), sa.column('status', sa.String),
                             sa.column('checkin_token', sa.String), sa.column('checkin_code', sa.String))
    bind = op.get_bind()
    for (registration_id,) in bind.execute(sa.select(registrations.c.id).where(registrations.c.status == 'approved')):
        bind.execute(registrations.update().where(registrations.c.id == registration_id).values(
            checkin_token=secrets.token_urlsafe(24),
            checkin_code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8))))


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_marked_by_id_users'), type_='foreignkey')
        for column in ('receiver_continues', 'receiver_rating', 'sender_continues', 'sender_rating', 'marked_by_id',
                       'marked_at'):
            batch_op.drop_column(column)

    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_registrations_checked_in_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_event_registrations_checkin_code'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_event_registrations_checkin_token'), type_='unique')
        for column in ('reminded_at', 'checked_in_by_id', 'checked_in_at', 'checkin_code', 'checkin_token'):
            batch_op.drop_column(column)
