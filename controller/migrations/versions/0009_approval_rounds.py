"""Approval rounds: when the round that decides a held booking runs

`bookings.decide_at`: with APPROVAL_MODE=rounds, a booking its policy would
approve and that starts later than APPROVAL_DECIDE_HOURS from now waits,
pending, for the approval round at this time (see
controller/services/approval_rounds.py); NULL otherwise.

Number 0009 was kept free for this change; it runs after 0010 (which revises
0008), so a database already at 0010 still gets it.

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-01 06:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decide_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_bookings_pending_decide_at', 'bookings', ['decide_at'],
                    postgresql_where=sa.text("status = 'pending' AND decide_at IS NOT NULL"),
                    sqlite_where=sa.text("status = 'pending' AND decide_at IS NOT NULL"))


def downgrade():
    op.drop_index('ix_bookings_pending_decide_at', table_name='bookings')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('decide_at')
