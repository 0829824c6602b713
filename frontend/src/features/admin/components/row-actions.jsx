import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { allowedActions, BOOKING_ACTIONS } from './booking-actions';

/**
 * A button for each action the API offers on `booking`; `onAction(action, booking)`.
 * Stacked on a phone in a table cell; `inline` keeps them side by side and says what they
 * act on, for a dialog's footer where a bare "Cancel" would read as "close".
 */
export function RowActions({ booking, onAction, inline = false }) {
  const actions = allowedActions(booking);
  if (actions.length === 0) return null;
  return (
    <div
      className={cn(
        'flex justify-end gap-1.5',
        inline ? 'flex-wrap' : 'flex-col items-end sm:flex-row',
      )}
    >
      {actions.map((action) => (
        <Button
          key={action}
          size="sm"
          variant={BOOKING_ACTIONS[action].variant}
          onClick={() => onAction(action, booking)}
          aria-label={`${BOOKING_ACTIONS[action].label} booking ${booking.id}`}
        >
          {BOOKING_ACTIONS[action].label}
          {inline && ' booking'}
        </Button>
      ))}
    </div>
  );
}
