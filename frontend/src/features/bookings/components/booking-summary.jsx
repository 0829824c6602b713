import { useProfile } from '../api/get-profile';

const SHOWN = [
  ['pending', 'Pending', 'text-amber-700'],
  ['approved', 'Approved', 'text-sky-700'],
  ['active', 'Active', 'text-emerald-700'],
  ['completed', 'Done', 'text-slate-700'],
];

/** Counts of the student's bookings by status. */
export function BookingSummary() {
  const profile = useProfile();
  const counts = profile.data?.booking_counts || {};
  return (
    <dl className="grid grid-cols-4 gap-2 sm:gap-3">
      {SHOWN.map(([key, label, tone]) => (
        <div
          key={key}
          className="rounded-xl bg-white px-3 py-2.5 shadow-xs ring-1 ring-slate-200/80"
        >
          <dt className="truncate text-xs text-slate-500">{label}</dt>
          <dd className={`text-xl font-bold tabular-nums ${tone}`}>
            {profile.isPending ? '·' : (counts[key] ?? 0)}
          </dd>
        </div>
      ))}
    </dl>
  );
}
