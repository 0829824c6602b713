import { CALENDAR_STATUSES, statusLabel, statusTone } from '@/components/ui/status-badge';
import { useProfile } from '../api/get-profile';

/** Counts of the student's bookings in each status that has a place in the calendar. */
export function BookingSummary() {
  const profile = useProfile();
  const counts = profile.data?.booking_counts || {};
  return (
    <dl className="grid grid-cols-4 gap-2 sm:gap-3">
      {CALENDAR_STATUSES.map((status) => (
        <div
          key={status}
          className="rounded-xl bg-white px-2 py-2.5 shadow-xs ring-1 ring-slate-200/80 sm:px-3"
        >
          <dt className="truncate text-[11px] text-slate-500 sm:text-xs">{statusLabel(status)}</dt>
          <dd className={`text-xl font-bold tabular-nums ${statusTone(status, 'text')}`}>
            {profile.isPending ? '·' : (counts[status] ?? 0)}
          </dd>
        </div>
      ))}
    </dl>
  );
}
