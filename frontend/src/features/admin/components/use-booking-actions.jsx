import { useState } from 'react';
import { toast } from '@/components/ui/toast';
import { useApproveBooking } from '../api/approve-booking';
import { useBulkAction } from '../api/bulk-action';
import { useAdminCancelBooking } from '../api/cancel-booking';
import { useExtendBooking } from '../api/extend-booking';
import { useRejectBooking } from '../api/reject-booking';
import { ActionDialog } from './action-dialog';
import { BOOKING_ACTIONS, summariseBulk } from './booking-actions';

/**
 * Booking actions with their dialog. `start(action, bookings)` opens the dialog for one
 * booking; `start(action, bookings, {bulk: true, skipped})` for a selection, through the
 * bulk endpoint. The dialog stays open until the API answers: a refusal is shown in it, a
 * success as a toast. Render `dialog` somewhere.
 */
export function useBookingActions({ agents = [], onBulkDone } = {}) {
  const [open, setOpen] = useState(null); // {action, ids, bulk, skipped}
  const single = {
    approve: useApproveBooking(),
    reject: useRejectBooking(),
    extend: useExtendBooking(),
    cancel: useAdminCancelBooking(),
  };
  const bulk = useBulkAction();
  const close = () => setOpen(null);

  const start = (action, bookings, { bulk: isBulk = false, skipped = 0 } = {}) => {
    (isBulk ? bulk : single[action]).reset();
    setOpen({ action, ids: bookings.map((b) => b.id), bulk: isBulk, skipped });
  };

  const submit = (values) => {
    const { action, ids } = open;
    if (open.bulk) {
      bulk.mutate(
        { action, ids, ...values },
        {
          onSuccess: (data) => {
            const summary = summariseBulk(action, data.results || []);
            (summary.failed ? toast.error : toast.success)(summary.text);
            onBulkDone?.();
            close();
          },
        },
      );
    } else {
      single[action].mutate(
        { id: ids[0], ...values },
        {
          onSuccess: (booking) => {
            toast.success(BOOKING_ACTIONS[action].toast(booking));
            close();
          },
        },
      );
    }
  };

  const mutation = open && (open.bulk ? bulk : single[open.action]);
  const dialog = open && (
    <ActionDialog
      key={`${open.action}:${open.ids.join(',')}`}
      {...open}
      agents={agents}
      pending={mutation.isPending}
      error={mutation.error}
      onClose={close}
      onSubmit={submit}
    />
  );
  return { start, dialog };
}
