import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { api } from '@/lib/api-client';
import { useNow } from '@/lib/use-now';
import { formatTime } from '@/lib/format';
import { ExtensionWaiting } from './extension-request';

/** Minutes before a session's end at which the dashboard warns (30, then 10). */
export const WARN_AT_MINUTES = [30, 10];

/** The running bookings ending within 30 minutes, soonest first, with minutes left. */
export function endingSoon(bookings = [], now = Date.now()) {
  return bookings
    .filter((b) => b.status === 'active')
    .map((b) => ({ booking: b, minutes: (new Date(b.end_time).getTime() - now) / 60_000 }))
    .filter(({ minutes }) => minutes > 0 && minutes <= WARN_AT_MINUTES[0])
    .sort((a, b) => a.minutes - b.minutes);
}

async function askForMoreTime(booking) {
  // The student's extend action (issue 14, extension requests).
  const { data } = await api.post(`/student/bookings/${booking.id}/extend`, { minutes: 30 });
  return data;
}

/** What the extension request came to: granted at once, or waiting for an admin. */
export function outcome(result) {
  if (result?.status === 'granted' || result?.status === 'approved') {
    return `Extended: now ends at ${formatTime(result.requested_end)}.`;
  }
  return 'Asked an admin for 30 more minutes; you will see the answer here.';
}

/** A banner 30 and 10 minutes before a session ends, with the extend button when
 * the booking's `actions` allow it. */
export function SessionEndingBanner({ bookings, onExtended, extend = askForMoreTime }) {
  const now = useNow(15_000);
  const [state, setState] = useState({});
  const soon = endingSoon(bookings, now);
  if (!soon.length) return null;
  return (
    <div className="space-y-2">
      {soon.map(({ booking, minutes }) => {
        const urgent = minutes <= WARN_AT_MINUTES[1];
        const canExtend = booking.actions?.includes('extend');
        const status = state[booking.id];
        return (
          <div
            key={booking.id}
            role="alert"
            className={`flex flex-wrap items-center justify-between gap-3 rounded-xl px-4 py-3 text-sm ring-1 ${
              urgent
                ? 'bg-rose-50 text-rose-900 ring-rose-200'
                : 'bg-amber-50 text-amber-900 ring-amber-200'
            }`}
          >
            <p>
              <span className="font-semibold">
                Your session #{booking.id} ends in {Math.max(1, Math.ceil(minutes))} min
              </span>{' '}
              (at {formatTime(booking.end_time)}). Save your work.
              {status?.message && <span className="block text-xs">{status.message}</span>}
            </p>
            {canExtend && (
              <Button
                size="sm"
                variant={urgent ? 'primary' : 'secondary'}
                loading={status?.pending}
                onClick={async () => {
                  setState((s) => ({ ...s, [booking.id]: { pending: true } }));
                  try {
                    const result = await extend(booking);
                    setState((s) => ({ ...s, [booking.id]: { message: outcome(result) } }));
                    onExtended?.(booking);
                  } catch (error) {
                    setState((s) => ({ ...s, [booking.id]: { message: error.message } }));
                  }
                }}
              >
                Extend 30 min
              </Button>
            )}
            {booking.pending_extension && !status?.message && (
              <ExtensionWaiting request={booking.pending_extension} />
            )}
          </div>
        );
      })}
    </div>
  );
}
