import { useState } from 'react';
import { Card, CardHeader, EmptyState, ErrorState } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Pagination } from '@/components/ui/pagination';
import { LoadingBlock } from '@/components/ui/spinner';
import { BookingStatusOptions } from '@/components/ui/status-badge';
import { toast } from '@/components/ui/toast';
import { formatRange } from '@/lib/format';
import { useCancelBooking } from '../api/cancel-booking';
import { useMyBookings } from '../api/get-my-bookings';
import { BookingCard } from './booking-card';

const PER_PAGE = 10;

export function MyBookings() {
  const [status, setStatus] = useState('');
  const [page, setPage] = useState(1);
  const [confirming, setConfirming] = useState(null);
  const bookings = useMyBookings({ status, page, perPage: PER_PAGE });
  const cancel = useCancelBooking({
    onSuccess: (booking) => toast.success(`Booking #${booking.id} cancelled.`),
    onError: (error) => toast.error(`Could not cancel: ${error.message}`),
  });

  const items = bookings.data?.items || [];
  return (
    <Card aria-labelledby="my-bookings-title">
      <CardHeader
        id="my-bookings-title"
        title="My bookings"
        refreshing={bookings.isFetching && !bookings.isPending}
        actions={
          <label className="flex items-center gap-2 text-sm text-slate-600">
            <span>Show</span>
            <select
              value={status}
              onChange={(e) => {
                setStatus(e.target.value);
                setPage(1);
              }}
              className="rounded-lg border-0 py-1.5 pr-8 pl-2 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-500"
            >
              <option value="">All</option>
              <BookingStatusOptions />
            </select>
          </label>
        }
      />
      {bookings.isPending ? (
        <LoadingBlock label="Loading your bookings…" />
      ) : bookings.isError ? (
        <ErrorState error={bookings.error} onRetry={bookings.refetch} />
      ) : items.length === 0 ? (
        <EmptyState
          title={status ? `No ${status} bookings` : 'No bookings yet'}
          description={
            status
              ? 'Try another filter.'
              : 'Request your first slot with the form — it shows whether a node has room before you submit.'
          }
        />
      ) : (
        <ul className="divide-y divide-slate-100">
          {items.map((b) => (
            <BookingCard
              key={b.id}
              booking={b}
              onCancel={setConfirming}
              cancelling={cancel.isPending && cancel.variables?.id === b.id}
            />
          ))}
        </ul>
      )}
      <Pagination
        page={page}
        perPage={PER_PAGE}
        total={bookings.data?.total}
        onPage={setPage}
        label="bookings"
      />

      <ConfirmDialog
        open={Boolean(confirming)}
        onClose={() => setConfirming(null)}
        title="Cancel this booking?"
        description={
          confirming
            ? `#${confirming.id} · ${formatRange(confirming.start_time, confirming.end_time)}`
            : ''
        }
        confirmLabel="Yes, cancel booking"
        onConfirm={() => {
          cancel.mutate({ id: confirming.id });
          setConfirming(null);
        }}
      >
        <p className="text-sm text-slate-600">
          The reserved resources go back to the pool. This cannot be undone.
        </p>
      </ConfirmDialog>
    </Card>
  );
}
