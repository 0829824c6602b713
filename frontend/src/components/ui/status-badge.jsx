import { cn } from './cn';

const styles = {
  pending: 'bg-amber-50 text-amber-800 ring-amber-600/25',
  approved: 'bg-sky-50 text-sky-800 ring-sky-600/25',
  active: 'bg-emerald-50 text-emerald-800 ring-emerald-600/25',
  completed: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  rejected: 'bg-rose-50 text-rose-800 ring-rose-600/25',
  cancelled: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20',
  failed: 'bg-red-100 text-red-800 ring-red-600/30',
  online: 'bg-emerald-50 text-emerald-800 ring-emerald-600/25',
  offline: 'bg-slate-100 text-slate-700 ring-slate-500/25',
  maintenance: 'bg-amber-50 text-amber-800 ring-amber-600/25',
};
const dots = {
  pending: 'bg-amber-500',
  approved: 'bg-sky-500',
  active: 'bg-emerald-500 animate-pulse',
  completed: 'bg-slate-400',
  rejected: 'bg-rose-500',
  cancelled: 'bg-zinc-400',
  failed: 'bg-red-600',
  online: 'bg-emerald-500',
  offline: 'bg-slate-400',
  maintenance: 'bg-amber-500',
};

/** A coloured pill for a booking or node status; the text is the status itself. */
export function StatusBadge({ status, className }) {
  return (
    <span
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium capitalize ring-1 ring-inset whitespace-nowrap',
        styles[status] || styles.offline,
        className,
      )}
    >
      <span className={cn('size-1.5 rounded-full', dots[status] || 'bg-slate-400')} aria-hidden />
      {status}
    </span>
  );
}

export const BOOKING_STATUSES = [
  'pending',
  'approved',
  'active',
  'completed',
  'rejected',
  'cancelled',
  'failed',
];
