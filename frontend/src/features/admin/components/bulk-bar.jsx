import { Button } from '@/components/ui/button';
import { BOOKING_ACTIONS, bulkChoices } from './booking-actions';

/**
 * The selection's actions: each one at least one selected booking allows, saying how many
 * of the selection it applies to. `onAction(action, bookings, skipped)`.
 */
export function BulkBar({ selected, onAction, onClear }) {
  const n = selected.length;
  const choices = bulkChoices(selected);
  return (
    <div
      className="z-10 flex flex-wrap items-center gap-2 border-b border-indigo-100 bg-indigo-50 px-4 py-2 text-sm sm:sticky sm:top-16 sm:px-5"
      role="region"
      aria-label="Bulk actions"
    >
      <span className="font-medium text-indigo-900">{n} selected</span>
      {choices.map(({ action, bookings }) => {
        const { label, variant } = BOOKING_ACTIONS[action];
        return (
          <Button
            key={action}
            size="sm"
            variant={variant === 'ghost' ? 'secondary' : variant}
            onClick={() => onAction(action, bookings, n - bookings.length)}
          >
            {bookings.length === n ? label : `${label} ${bookings.length} of ${n}`}
          </Button>
        );
      })}
      {choices.length === 0 && (
        <span className="text-indigo-800">No action applies to these bookings.</span>
      )}
      <Button size="sm" variant="ghost" onClick={onClear}>
        Clear
      </Button>
    </div>
  );
}
