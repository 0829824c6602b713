import { useMemo, useState } from 'react';
import { Card, CardHeader, EmptyState, ErrorState } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { LoadingBlock } from '@/components/ui/spinner';
import { CALENDAR_STATUSES, statusTone } from '@/components/ui/status-badge';
import { formatDay, formatRange, toUtcIso } from '@/lib/format';
import { useNow } from '@/lib/use-now';
import { useAdminBookings } from '../api/get-admin-bookings';
import { BookingDetailsDialog } from './booking-details-dialog';

const DAYS = 7;
const DAY_MS = 86_400_000;
const SHOWN = new Set(CALENDAR_STATUSES);

/** Local midnight today, so the query key stays the same for the whole day. */
function windowStart(now) {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Greedy lanes so overlapping bookings on one node stack instead of hiding each other. */
export function assignLanes(bookings) {
  const lanes = [];
  const placed = [];
  for (const b of [...bookings].sort((x, y) => new Date(x.start_time) - new Date(y.start_time))) {
    const start = new Date(b.start_time).getTime();
    let lane = lanes.findIndex((end) => end <= start);
    if (lane === -1) {
      lane = lanes.length;
      lanes.push(0);
    }
    lanes[lane] = new Date(b.end_time).getTime();
    placed.push({ booking: b, lane });
  }
  return { placed, laneCount: Math.max(1, lanes.length) };
}

export function Timeline({ agents = [] }) {
  const now = useNow(60_000);
  const start = windowStart(now);
  const end = start + DAYS * DAY_MS;
  const params = useMemo(
    () => ({
      // Everything that overlaps the week, including bookings that began before today.
      overlaps_from: toUtcIso(new Date(start)),
      overlaps_to: toUtcIso(new Date(end)),
      status: CALENDAR_STATUSES.join(','),
      sort: 'start_time',
      order: 'asc',
      per_page: 100,
      page: 1,
    }),
    [start, end],
  );
  const bookings = useAdminBookings(params);
  const [detailsId, setDetailsId] = useState(null);

  const rows = useMemo(() => {
    const visible = (bookings.data?.items || []).filter(
      (b) =>
        SHOWN.has(b.status) &&
        new Date(b.end_time).getTime() > start &&
        new Date(b.start_time).getTime() < end,
    );
    const byAgent = new Map(agents.map((a) => [a.id, []]));
    const unassigned = [];
    for (const b of visible) {
      if (b.agent_id != null && byAgent.has(b.agent_id)) byAgent.get(b.agent_id).push(b);
      else unassigned.push(b);
    }
    const result = agents.map((a) => ({
      key: `a${a.id}`,
      label: a.name,
      status: a.status,
      ...assignLanes(byAgent.get(a.id)),
    }));
    if (unassigned.length)
      result.push({
        key: 'none',
        label: 'Unassigned',
        status: 'pending',
        ...assignLanes(unassigned),
      });
    return result;
  }, [bookings.data, agents, start, end]);

  const days = Array.from({ length: DAYS }, (_, i) => new Date(start + i * DAY_MS));
  const pos = (iso) =>
    ((Math.min(end, Math.max(start, new Date(iso).getTime())) - start) / (end - start)) * 100;
  const nowPct = ((now - start) / (end - start)) * 100;

  return (
    <Card aria-labelledby="timeline-title">
      <CardHeader
        id="timeline-title"
        title="This week per node"
        description="Bookings from today over the next 7 days. Select a bar for details."
        actions={<Legend />}
      />
      {bookings.isPending ? (
        <LoadingBlock label="Loading timeline…" />
      ) : bookings.isError ? (
        <ErrorState error={bookings.error} onRetry={bookings.refetch} />
      ) : rows.length === 0 ? (
        <EmptyState title="No nodes yet" description="Register a node to see its schedule here." />
      ) : (
        <div className="overflow-x-auto">
          <div className="min-w-[760px]" role="grid" aria-label="Bookings per node this week">
            <div
              className="flex border-b border-slate-200 bg-slate-50 text-xs font-medium text-slate-500"
              role="row"
            >
              <div
                className="sticky left-0 z-10 w-32 shrink-0 bg-slate-50 px-3 py-2"
                role="columnheader"
              >
                Node
              </div>
              <div className="grid flex-1 grid-cols-7">
                {days.map((d, i) => (
                  <div
                    key={i}
                    role="columnheader"
                    className={cn(
                      'border-l border-slate-200 px-2 py-2',
                      i === 0 && 'text-indigo-700',
                    )}
                  >
                    {i === 0 ? 'Today' : formatDay(d)}
                    <div
                      className="mt-1 flex justify-between text-[10px] font-normal text-slate-400"
                      aria-hidden
                    >
                      <span>0</span>
                      <span>6</span>
                      <span>12</span>
                      <span>18</span>
                      <span />
                    </div>
                  </div>
                ))}
              </div>
            </div>
            {rows.map((row) => (
              <div
                key={row.key}
                className="flex border-b border-slate-100 last:border-b-0"
                role="row"
              >
                <div
                  className="sticky left-0 z-10 flex w-32 shrink-0 flex-col justify-center bg-white px-3 py-2"
                  role="rowheader"
                >
                  <span className="truncate text-sm font-medium text-slate-800">{row.label}</span>
                  <span className="text-[11px] text-slate-400 capitalize">{row.status}</span>
                </div>
                <div
                  className="relative flex-1"
                  style={{ height: `${row.laneCount * 26 + 14}px` }}
                  role="gridcell"
                >
                  <div className="absolute inset-0 grid grid-cols-7" aria-hidden>
                    {days.map((_, i) => (
                      <div
                        key={i}
                        className="border-l border-slate-200 bg-[linear-gradient(to_right,transparent_calc(25%-1px),#f1f5f9_25%,transparent_calc(25%+1px),transparent_calc(50%-1px),#f1f5f9_50%,transparent_calc(50%+1px),transparent_calc(75%-1px),#f1f5f9_75%,transparent_calc(75%+1px))]"
                      />
                    ))}
                  </div>
                  {nowPct >= 0 && nowPct <= 100 && (
                    <div
                      className="absolute inset-y-0 z-[1] w-0.5 bg-rose-500/70"
                      style={{ left: `${nowPct}%` }}
                      aria-hidden
                    />
                  )}
                  {row.placed.map(({ booking: b, lane }) => {
                    const left = pos(b.start_time);
                    const width = Math.max(0.6, pos(b.end_time) - left);
                    return (
                      <button
                        key={b.id}
                        type="button"
                        onClick={() => setDetailsId(b.id)}
                        title={`${b.username} · #${b.id} · ${b.status} · ${formatRange(b.start_time, b.end_time)}`}
                        aria-label={`${b.username}, booking ${b.id}, ${b.status}, ${formatRange(b.start_time, b.end_time)}`}
                        className={cn(
                          'absolute z-[2] h-5 overflow-hidden rounded-md px-1.5 text-left text-[11px] leading-5 font-medium whitespace-nowrap shadow-xs ring-1 hover:brightness-95 focus-visible:outline-2 focus-visible:outline-indigo-600',
                          statusTone(b.status, 'calendar'),
                        )}
                        style={{ left: `${left}%`, width: `${width}%`, top: `${7 + lane * 26}px` }}
                      >
                        {b.username}
                      </button>
                    );
                  })}
                </div>
              </div>
            ))}
          </div>
        </div>
      )}
      <BookingDetailsDialog id={detailsId} agents={agents} onClose={() => setDetailsId(null)} />
    </Card>
  );
}

function Legend() {
  return (
    <ul className="flex flex-wrap gap-3 text-xs text-slate-600" aria-label="Legend">
      {CALENDAR_STATUSES.map((s) => (
        <li key={s} className="flex items-center gap-1.5 capitalize">
          <span className={cn('size-3 rounded-sm ring-1', statusTone(s, 'calendar'))} aria-hidden />
          {s}
        </li>
      ))}
    </ul>
  );
}
