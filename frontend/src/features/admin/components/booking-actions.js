import { formatDateTime } from '@/lib/format';

/**
 * How the web UI shows each action the API may offer on a booking (`booking.actions`):
 * its button, its dialog's fields and what it says when done. Whether an action is
 * offered is the API's to say; an action this table does not know is not shown.
 */
export const BOOKING_ACTIONS = {
  approve: {
    label: 'Approve',
    done: 'Approved',
    variant: 'success',
    submitVariant: 'success',
    description: 'Place it automatically on the best-fitting node, or choose one.',
    fields: ['agent', 'notes'],
    toast: (b) => `Booking #${b.id} approved${b.agent_name ? ` on ${b.agent_name}` : ''}.`,
  },
  reject: {
    label: 'Reject',
    done: 'Rejected',
    variant: 'secondary',
    submitVariant: 'danger',
    description: 'The student sees this reason on their dashboard.',
    fields: ['reason'],
    toast: (b) => `Booking #${b.id} rejected.`,
  },
  extend: {
    label: 'Extend',
    done: 'Extended',
    variant: 'secondary',
    submitVariant: 'primary',
    description: 'Moves the end time later, if the node still has room.',
    fields: ['minutes'],
    toast: (b) => `Booking #${b.id} now ends ${formatDateTime(b.end_time)}.`,
  },
  cancel: {
    label: 'Cancel',
    done: 'Cancelled',
    variant: 'ghost',
    submitVariant: 'danger',
    description: 'The student is told it was cancelled; a running session is stopped.',
    fields: ['note'],
    toast: (b) => `Booking #${b.id} cancelled.`,
  },
};

/** The actions the API offers on `booking` that this UI can show, in the API's order. */
export function allowedActions(booking) {
  return (booking?.actions || []).filter((action) => action in BOOKING_ACTIONS);
}

/**
 * For a selection: each action at least one selected booking allows, with the bookings it
 * applies to, in the table's order.
 */
export function bulkChoices(bookings) {
  return Object.keys(BOOKING_ACTIONS)
    .map((action) => ({
      action,
      bookings: bookings.filter((b) => allowedActions(b).includes(action)),
    }))
    .filter((choice) => choice.bookings.length > 0);
}

/** Summarise a bulk answer: "Approved 2 of 3. #14: no node fits." */
export function summariseBulk(action, results) {
  const ok = results.filter((r) => r.ok).length;
  const failed = results.filter((r) => !r.ok);
  const head = `${BOOKING_ACTIONS[action].done} ${ok} of ${results.length}.`;
  const tail = failed
    .slice(0, 3)
    .map((r) => `#${r.id}: ${r.error?.message || r.error?.error || 'failed'}`)
    .join(' ');
  return { ok, failed: failed.length, text: tail ? `${head} ${tail}` : head };
}
