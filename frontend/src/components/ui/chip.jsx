import { cn } from './cn';

/** A row of small buttons that fill a field (quick durations, suggested texts). */
export function ChipGroup({ label, className, children }) {
  return (
    <div className={cn('flex flex-wrap gap-1.5', className)} role="group" aria-label={label}>
      {children}
    </div>
  );
}

/** A small rounded button; `active` (when given) makes it a toggle that shows its state. */
export function Chip({ active, className, children, ...props }) {
  return (
    <button
      type="button"
      aria-pressed={active}
      className={cn(
        'rounded-full px-2.5 py-1 text-xs font-medium ring-1 ring-inset',
        active
          ? 'bg-indigo-600 text-white ring-indigo-600'
          : 'bg-white text-slate-600 ring-slate-300 hover:bg-slate-50',
        className,
      )}
      {...props}
    >
      {children}
    </button>
  );
}
