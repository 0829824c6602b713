"""Start and stop retries keep their own state

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('next_attempt_at', new_column_name='next_start_at')
        batch_op.add_column(sa.Column('stop_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_stop_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('next_stop_at')
        batch_op.drop_column('stop_attempts')
        batch_op.alter_column('next_start_at', new_column_name='next_attempt_at')
