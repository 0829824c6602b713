import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { FormError, Select, Textarea } from '@/components/ui/field';
import { formatTime } from '@/lib/format';
import { useRequestExtension } from '../api/request-extension';

const CHOICES = [30, 60, 120, 240];

function label(minutes) {
  return minutes < 60 ? `${minutes} minutes` : `${minutes / 60} hour${minutes > 60 ? 's' : ''}`;
}

/**
 * "Request more time" on a booking whose `actions` include `extend`: the API grants it
 * at once when it fits the node and the policy, or queues it for an admin; the dialog
 * says which. While a request waits (`pending_extension`), the API offers no `extend`
 * and this says what was asked instead.
 */
export function ExtensionRequestButton({ booking, waitingClassName }) {
  const [open, setOpen] = useState(false);
  // The dialog stays until its owner closes it: a request just queued turns the
  // booking's button into the waiting note underneath, but the answer stays readable.
  const dialog = open && (
    <ExtensionRequestDialog booking={booking} open onClose={() => setOpen(false)} />
  );
  if (booking.pending_extension)
    return (
      <>
        <ExtensionWaiting request={booking.pending_extension} className={waitingClassName} />
        {dialog}
      </>
    );
  if (!booking.actions?.includes('extend')) return dialog || null;
  return (
    <>
      <Button variant="secondary" size="sm" onClick={() => setOpen(true)}>
        Request more time
      </Button>
      {dialog}
    </>
  );
}

/** A request for more time on this booking that waits for an admin. */
export function ExtensionWaiting({ request, className = '' }) {
  return (
    <p
      role="status"
      aria-label="Extension request"
      title={`Asked at ${formatTime(request.requested_at)}, for an end at ${formatTime(request.requested_end)}`}
      className={`rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900 ring-1 ring-amber-200 ${className}`}
    >
      More time requested <span className="whitespace-nowrap">(+{request.minutes} min)</span> —
      waiting for an admin
    </p>
  );
}

export function ExtensionRequestDialog({ booking, open, onClose }) {
  const [minutes, setMinutes] = useState(CHOICES[0]);
  const [reason, setReason] = useState('');
  const request = useRequestExtension();
  const outcome = request.data;
  const close = () => {
    request.reset();
    onClose();
  };
  const newEnd = new Date(new Date(booking.end_time).getTime() + minutes * 60_000).toISOString();
  return (
    <Dialog
      open={open}
      onClose={close}
      title={`More time for booking #${booking.id}`}
      description={
        outcome
          ? undefined
          : `It ends at ${formatTime(booking.end_time)}. A running session keeps running.`
      }
      footer={
        outcome ? (
          <Button onClick={close}>Close</Button>
        ) : (
          <>
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button
              loading={request.isPending}
              onClick={() =>
                request.mutate({ id: booking.id, minutes, reason: reason.trim() || undefined })
              }
            >
              Ask for {label(minutes)}
            </Button>
          </>
        )
      }
    >
      {outcome ? (
        <div
          role="status"
          aria-label="Outcome"
          className={`rounded-lg px-3 py-2 text-sm ring-1 ${
            outcome.status === 'granted'
              ? 'bg-emerald-50 text-emerald-900 ring-emerald-200'
              : 'bg-amber-50 text-amber-900 ring-amber-200'
          }`}
        >
          {outcome.status === 'granted' ? (
            <>Granted: your booking now ends at {formatTime(outcome.requested_end)}.</>
          ) : (
            <>
              Sent to the admins: {outcome.review_reason} You will see their answer here and on your
              dashboard.
            </>
          )}
        </div>
      ) : (
        <div className="space-y-3">
          <Select
            label="How much longer"
            value={minutes}
            onChange={(e) => setMinutes(Number(e.target.value))}
            hint={`Until ${formatTime(newEnd)}`}
          >
            {CHOICES.map((m) => (
              <option key={m} value={m}>
                {label(m)}
              </option>
            ))}
          </Select>
          <Textarea
            label="Why (optional)"
            rows={2}
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <FormError error={request.error} fields={['minutes', 'reason']} />
        </div>
      )}
    </Dialog>
  );
}
