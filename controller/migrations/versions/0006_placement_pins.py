"""Pinned bookings and repacking (issue 13)

A booking an admin pins to its node is never moved by repacking (approving
onto a named node pins it too).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 03:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pinned', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('pinned')
