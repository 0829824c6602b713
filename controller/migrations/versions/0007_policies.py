"""Quotas, auto-approval and extension requests (issue 14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 03:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    policies = op.create_table('policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('max_hours_per_week', sa.Float(), nullable=True),
    sa.Column('max_gpu_hours_per_week', sa.Float(), nullable=True),
    sa.Column('max_open_bookings', sa.Integer(), nullable=True),
    sa.Column('max_cpu_cores', sa.Integer(), nullable=True),
    sa.Column('max_memory_gb', sa.Float(), nullable=True),
    sa.Column('max_gpu_count', sa.Integer(), nullable=True),
    sa.Column('max_duration_hours', sa.Float(), nullable=True),
    sa.Column('auto_approve', sa.Boolean(), nullable=False),
    sa.Column('auto_max_cpu_cores', sa.Integer(), nullable=True),
    sa.Column('auto_max_memory_gb', sa.Float(), nullable=True),
    sa.Column('auto_max_gpu_count', sa.Integer(), nullable=True),
    sa.Column('auto_max_duration_hours', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index('uq_policies_one_default', 'policies', ['is_default'], unique=True,
                    postgresql_where=sa.text('is_default'), sqlite_where=sa.text('is_default'))
    # The default policy: no limits and no auto-approval, so nothing changes
    # for a lab until an admin writes its rules.
    now = sa.func.now()
    op.execute(policies.insert().values(name='default', description='Applies to every user without a named policy.',
                                        is_default=True, auto_approve=False, created_at=now, updated_at=now))

    op.create_table('extension_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('previous_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'granted', 'approved', 'rejected')",
                       name='ck_extension_requests_status'),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id']),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('uq_extension_requests_one_pending', 'extension_requests', ['booking_id'], unique=True,
                    postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.create_index('ix_extension_requests_status', 'extension_requests', ['status', 'created_at'])

    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_users_policy_id', 'policies', ['policy_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by_policy_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_bookings_approved_by_policy_id', 'policies', ['approved_by_policy_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_bookings_approved_by_policy_id', type_='foreignkey')
        batch_op.drop_column('approved_by_policy_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_policy_id', type_='foreignkey')
        batch_op.drop_column('policy_id')
    op.drop_table('settings')
    op.drop_index('ix_extension_requests_status', table_name='extension_requests')
    op.drop_index('uq_extension_requests_one_pending', table_name='extension_requests')
    op.drop_table('extension_requests')
    op.drop_index('uq_policies_one_default', table_name='policies')
    op.drop_table('policies')
