"""Extension requests may lapse: a request still waiting when its booking
stops holding its place (cancelled, completed, failed) is closed as 'lapsed'.
Requests already stranded that way are lapsed here, each with an audit row.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 06:40:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD = "status IN ('pending', 'granted', 'approved', 'rejected')"
NEW = "status IN ('pending', 'granted', 'approved', 'rejected', 'lapsed')"

requests = sa.table('extension_requests', sa.column('id', sa.Integer), sa.column('booking_id', sa.Integer),
                    sa.column('status', sa.String), sa.column('previous_end', sa.DateTime(timezone=True)),
                    sa.column('requested_end', sa.DateTime(timezone=True)),
                    sa.column('decision_reason', sa.Text), sa.column('decided_at', sa.DateTime(timezone=True)))
bookings = sa.table('bookings', sa.column('id', sa.Integer), sa.column('status', sa.String))
audit_events = sa.table('audit_events', sa.column('entity_type', sa.String), sa.column('entity_id', sa.Integer),
                        sa.column('action', sa.String), sa.column('actor_id', sa.Integer),
                        sa.column('before', sa.JSON), sa.column('after', sa.JSON),
                        sa.column('created_at', sa.DateTime(timezone=True)))


def _snapshot(row, status):
    return {"booking_id": row.booking_id, "status": status, "previous_end": row.previous_end.isoformat(),
            "requested_end": row.requested_end.isoformat()}


def upgrade():
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.drop_constraint('ck_extension_requests_status', type_='check')
        batch_op.create_check_constraint('ck_extension_requests_status', NEW)

    bind = op.get_bind()
    stranded = bind.execute(
        sa.select(requests.c.id, requests.c.booking_id, requests.c.previous_end, requests.c.requested_end,
                  bookings.c.status.label('booking_status'))
        .join(bookings, bookings.c.id == requests.c.booking_id)
        .where(requests.c.status == 'pending', bookings.c.status.not_in(['approved', 'active']))).all()
    now = datetime.now(timezone.utc)
    for row in stranded:
        reason = f"The booking is {row.booking_status}: it can no longer be extended."
        bind.execute(requests.update().where(requests.c.id == row.id)
                     .values(status='lapsed', decided_at=now, decision_reason=reason))
        bind.execute(audit_events.insert().values(
            entity_type='extension_request', entity_id=row.id, action='lapsed', actor_id=None,
            before=_snapshot(row, 'pending'), after=_snapshot(row, 'lapsed'), created_at=now))


def downgrade():
    # A lapsed request is closed; the older constraint knows it as rejected.
    op.execute(requests.update().where(requests.c.status == 'lapsed').values(status='rejected'))
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.drop_constraint('ck_extension_requests_status', type_='check')
        batch_op.create_check_constraint('ck_extension_requests_status', OLD)
