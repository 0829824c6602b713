import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { ErrorState } from '@/components/ui/card';
import { LoadingBlock } from '@/components/ui/spinner';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatDateTime, formatRange } from '@/lib/format';
import { useAdminBooking } from '../api/get-admin-booking';
import { RowActions } from './row-actions';
import { useBookingActions } from './use-booking-actions';

/**
 * A booking's details and history, with a button for each action the API offers on it; an
 * action closes the details and opens its own dialog.
 */
export function BookingDetailsDialog({ id, agents, onClose }) {
  const booking = useAdminBooking(id);
  const b = booking.data;
  const actions = useBookingActions({ agents });
  const onAction = (action, chosen) => {
    onClose();
    actions.start(action, [chosen]);
  };
  return (
    <>
      <Dialog
        open={id != null}
        onClose={onClose}
        title={`Booking #${id}`}
        size="lg"
        footer={
          <>
            <Button variant="secondary" onClick={onClose}>
              Close
            </Button>
            <RowActions booking={b} onAction={onAction} inline />
          </>
        }
      >
        {booking.isPending ? (
          <LoadingBlock />
        ) : booking.isError ? (
          <ErrorState error={booking.error} onRetry={booking.refetch} />
        ) : (
          <div className="space-y-4 text-sm">
            <div className="flex flex-wrap items-center gap-2">
              <StatusBadge status={b.status} />
              <span className="font-medium">{b.username}</span>
              <span className="text-slate-500">{formatRange(b.start_time, b.end_time)}</span>
            </div>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
              {facts(b)
                .filter(([, value]) => value)
                .map(([label, value, className]) => (
                  <Fact key={label} label={label} className={className}>
                    {value}
                  </Fact>
                ))}
            </dl>
            <div>
              <h3 className="mb-2 font-semibold text-slate-900">History</h3>
              {b.events?.length ? (
                <ol className="space-y-2 border-l-2 border-slate-200 pl-4">
                  {b.events.map((e) => (
                    <li key={e.id} className="relative">
                      <span
                        className="absolute top-1.5 -left-[21px] size-2.5 rounded-full bg-indigo-400 ring-2 ring-white"
                        aria-hidden
                      />
                      <p>
                        <span className="font-medium">{e.action.replace(/_/g, ' ')}</span>
                        {e.from_status || e.to_status ? (
                          <span className="text-slate-500">
                            {' '}
                            {e.from_status || '∅'} → {e.to_status}
                          </span>
                        ) : null}
                        {e.actor && <span className="text-slate-500"> by {e.actor}</span>}
                      </p>
                      <p className="text-xs text-slate-400">{formatDateTime(e.created_at)}</p>
                    </li>
                  ))}
                </ol>
              ) : (
                <p className="text-slate-500">No events recorded.</p>
              )}
            </div>
          </div>
        )}
      </Dialog>
      {actions.dialog}
    </>
  );
}

/** The booking's facts as [label, value, className]; empty values are left out. */
function facts(b) {
  return [
    ['Resources', `${b.cpu_cores} CPU · ${b.memory_gb} GB · ${b.gpu_count || 0} GPU · ${b.image}`],
    ['Node', b.agent_name || '—'],
    ['Purpose', b.purpose],
    ['Rejection', b.rejection_reason],
    ['Failure', b.failure_reason],
    ['Notes', b.admin_notes],
    ['Access', b.access_host && `${b.access_host}:${b.access_port}`, 'font-mono'],
  ];
}

function Fact({ label, className, children }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className={className}>{children}</dd>
    </>
  );
}
