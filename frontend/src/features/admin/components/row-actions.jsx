import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { allowedActions, BOOKING_ACTIONS } from './booking-actions';

/** A button for each action the API offers on `booking`; `onAction(action, booking)`. */
export function RowActions({ booking, onAction, className }) {
  const actions = allowedActions(booking);
  if (actions.length === 0) return null;
  return (
    <div className={cn('flex flex-col items-end gap-1.5 sm:flex-row sm:justify-end', className)}>
      {actions.map((action) => (
        <Button
          key={action}
          size="sm"
          variant={BOOKING_ACTIONS[action].variant}
          onClick={() => onAction(action, booking)}
          aria-label={`${BOOKING_ACTIONS[action].label} booking ${booking.id}`}
        >
          {BOOKING_ACTIONS[action].label}
        </Button>
      ))}
    </div>
  );
}
