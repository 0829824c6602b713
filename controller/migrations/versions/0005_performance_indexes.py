"""Indexes and kept totals for the hot queries (issue 12)

- ix_bookings_start_id (start_time, id): the admin list's default sort
  (`ORDER BY start_time, id`, either direction) reads one page from the
  index instead of sorting the table.
- ix_bookings_holding_window (Postgres only): a GiST index on
  tstzrange(start_time, end_time, '[)') over the bookings that hold
  capacity (approved, active). `placement.holding()` asks for `&&` on that
  range, so a window lookup is bounded on both ends and never reads the
  history. SQLite (the embedded default) keeps using ix_bookings_agent_window.
- booking_totals: the number of bookings in each final status, kept by
  triggers on bookings (insert, status change, delete, and on Postgres
  truncate), so the dashboard and the admin list's total need not count the
  whole history. Only the statuses with a row here are kept (the final
  ones, which grow without end); the others are counted from the index.
  Creating a booking (pending) touches no row of it. On SQLite the table
  stays empty (everything is counted, the embedded default is small), as a
  later batch migration that rebuilds bookings there would drop triggers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 03:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

FINAL_STATUSES = ('completed', 'rejected', 'cancelled', 'failed')

PG_UP = [
    "CREATE INDEX ix_bookings_holding_window ON bookings "
    "USING gist (tstzrange(start_time, end_time, '[)')) WHERE status IN ('approved', 'active')",
    """CREATE FUNCTION booking_totals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE booking_totals t SET n = t.n + d.k
    FROM (SELECT status, count(*) AS k FROM new_rows GROUP BY status) d WHERE t.status = d.status;
  RETURN NULL;
END $$""",
    """CREATE FUNCTION booking_totals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE booking_totals SET n = n - 1 WHERE status = OLD.status;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    UPDATE booking_totals SET n = n + 1 WHERE status = NEW.status;
  END IF;
  RETURN NULL;
END $$""",
    """CREATE FUNCTION booking_totals_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE booking_totals SET n = 0;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER booking_totals_insert AFTER INSERT ON bookings REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION booking_totals_inserted()",
    "CREATE TRIGGER booking_totals_update AFTER UPDATE OF status ON bookings FOR EACH ROW "
    "WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION booking_totals_changed()",
    "CREATE TRIGGER booking_totals_delete AFTER DELETE ON bookings FOR EACH ROW "
    "EXECUTE FUNCTION booking_totals_changed()",
    "CREATE TRIGGER booking_totals_truncate AFTER TRUNCATE ON bookings FOR EACH STATEMENT "
    "EXECUTE FUNCTION booking_totals_truncated()",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS booking_totals_truncate ON bookings",
    "DROP TRIGGER IF EXISTS booking_totals_delete ON bookings",
    "DROP TRIGGER IF EXISTS booking_totals_update ON bookings",
    "DROP TRIGGER IF EXISTS booking_totals_insert ON bookings",
    "DROP FUNCTION IF EXISTS booking_totals_truncated()",
    "DROP FUNCTION IF EXISTS booking_totals_changed()",
    "DROP FUNCTION IF EXISTS booking_totals_inserted()",
    "DROP INDEX IF EXISTS ix_bookings_holding_window",
]


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_start_id', ['start_time', 'id'], unique=False)
    op.create_table('booking_totals',
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('status')
    )
    if op.get_bind().dialect.name != 'postgresql':
        return
    for status in FINAL_STATUSES:
        op.execute(sa.text("INSERT INTO booking_totals (status, n) "
                           "SELECT :s, count(*) FROM bookings WHERE status = :s").bindparams(s=status))
    for statement in PG_UP:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in PG_DOWN:
            op.execute(statement)
    op.drop_table('booking_totals')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_start_id')
