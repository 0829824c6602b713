import { cn } from './cn';

/**
 * The one home of the statuses the web UI shows: booking statuses (in the order the API's
 * workflow lists them) and node statuses, each with its colours. `calendar` marks
 * the booking statuses that hold, held or ask for a place in the calendar; its value is the
 * bar's colour on the timeline.
 */
const BOOKING = {
  pending: {
    badge: 'bg-amber-50 text-amber-800 ring-amber-600/25',
    dot: 'bg-amber-500',
    text: 'text-amber-700',
    calendar: 'bg-amber-100 text-amber-900 ring-amber-300 border-dashed border border-amber-400',
  },
  approved: {
    badge: 'bg-sky-50 text-sky-800 ring-sky-600/25',
    dot: 'bg-sky-500',
    text: 'text-sky-700',
    calendar: 'bg-sky-500 text-white ring-sky-600',
  },
  active: {
    badge: 'bg-emerald-50 text-emerald-800 ring-emerald-600/25',
    dot: 'bg-emerald-500 animate-pulse',
    text: 'text-emerald-700',
    calendar: 'bg-emerald-500 text-white ring-emerald-600',
  },
  completed: {
    badge: 'bg-slate-100 text-slate-700 ring-slate-500/20',
    dot: 'bg-slate-400',
    text: 'text-slate-700',
    calendar: 'bg-slate-300 text-slate-700 ring-slate-400',
  },
  rejected: {
    badge: 'bg-rose-50 text-rose-800 ring-rose-600/25',
    dot: 'bg-rose-500',
    text: 'text-rose-700',
  },
  cancelled: {
    badge: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20',
    dot: 'bg-zinc-400',
    text: 'text-zinc-600',
  },
  failed: {
    badge: 'bg-red-100 text-red-800 ring-red-600/30',
    dot: 'bg-red-600',
    text: 'text-red-700',
  },
};
const NODE = {
  online: { badge: BOOKING.active.badge, dot: 'bg-emerald-500' },
  offline: { badge: 'bg-slate-100 text-slate-700 ring-slate-500/25', dot: 'bg-slate-400' },
  maintenance: { badge: BOOKING.pending.badge, dot: 'bg-amber-500' },
};
const STATUS = { ...NODE, ...BOOKING };

export const BOOKING_STATUSES = Object.keys(BOOKING);
/** The booking statuses that hold, held or ask for a place in the calendar. */
export const CALENDAR_STATUSES = BOOKING_STATUSES.filter((s) => BOOKING[s].calendar);

/** A status as a label: "pending" → "Pending". */
export function statusLabel(status) {
  return status ? status[0].toUpperCase() + status.slice(1) : '';
}

/** Tailwind classes for a booking status: `text` (a count), `calendar` (a timeline bar). */
export function statusTone(status, part) {
  return STATUS[status]?.[part] || '';
}

/** A coloured pill for a booking or node status; the text is the status itself. */
export function StatusBadge({ status, className }) {
  const style = STATUS[status] || NODE.offline;
  return (
    <span
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium capitalize ring-1 ring-inset whitespace-nowrap',
        style.badge,
        className,
      )}
    >
      <span className={cn('size-1.5 rounded-full', style.dot)} aria-hidden />
      {status}
    </span>
  );
}

/** An <option> for each booking status, for a status filter. */
export function BookingStatusOptions() {
  return BOOKING_STATUSES.map((s) => (
    <option key={s} value={s}>
      {statusLabel(s)}
    </option>
  ));
}
