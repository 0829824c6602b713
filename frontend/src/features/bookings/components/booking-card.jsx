import { Button } from '@/components/ui/button';
import { CopyButton } from '@/components/ui/copy-button';
import { Countdown } from '@/components/ui/countdown';
import { CALENDAR_STATUSES, StatusBadge } from '@/components/ui/status-badge';
import { formatDateTime, formatRange, formatTime } from '@/lib/format';

import { useSession } from '../api/get-session';
import { ExtensionRequestButton } from './extension-request';

export function BookingCard({ booking, onCancel, cancelling }) {
  const cancellable = booking.actions?.includes('cancel');
  const running = booking.status === 'active';
  return (
    <li className="p-4 sm:px-5" aria-label={`Booking ${booking.id}`}>
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <StatusBadge status={booking.status} />
            <span className="text-xs text-slate-400">#{booking.id}</span>
          </div>
          <p className="mt-1.5 text-sm font-semibold text-slate-900">
            {formatRange(booking.start_time, booking.end_time)}
          </p>
          <p className="mt-0.5 text-xs text-slate-500">
            {booking.cpu_cores} CPU · {booking.memory_gb} GB
            {booking.gpu_count ? ` · ${booking.gpu_count} GPU` : ''} · {booking.image}
            {booking.agent_name ? ` · on ${booking.agent_name}` : ''}
          </p>
          {booking.purpose && (
            <p className="mt-1 line-clamp-2 text-xs text-slate-600 italic">“{booking.purpose}”</p>
          )}
          {booking.decided_by && (
            <p className="mt-1 text-xs text-amber-800">
              Waiting for the approval round: decided by {formatDateTime(booking.decided_by)}
            </p>
          )}
        </div>
        <div className="flex w-full flex-wrap items-center justify-between gap-2 text-xs text-slate-600 sm:w-auto sm:flex-col sm:items-end sm:text-right">
          <TimeHint booking={booking} />
          {/* A request waiting for an admin: a line of its own on a phone. */}
          <ExtensionRequestButton
            booking={booking}
            waitingClassName="order-last w-full sm:order-none sm:w-auto"
          />
          {cancellable && (
            <Button
              variant="secondary"
              size="sm"
              className="ml-auto sm:ml-0"
              onClick={() => onCancel(booking)}
              loading={cancelling}
            >
              Cancel
            </Button>
          )}
        </div>
      </div>

      {running && <SessionAccess booking={booking} />}
      {booking.status === 'rejected' && (
        <p className="mt-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-900 ring-1 ring-rose-200">
          <span className="font-semibold">Rejected:</span>{' '}
          {booking.rejection_reason || 'No reason given.'}
        </p>
      )}
      {booking.status === 'failed' && (
        <p className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-900 ring-1 ring-red-200">
          <span className="font-semibold">Failed:</span>{' '}
          {booking.failure_reason || 'The node could not start your session.'}
        </p>
      )}
    </li>
  );
}

function TimeHint({ booking }) {
  const start = new Date(booking.start_time).getTime();
  if (booking.status === 'active') {
    return (
      <Countdown
        to={booking.end_time}
        prefix="ends in"
        pastLabel="ending now"
        className="text-emerald-700"
      />
    );
  }
  // A booking with a place in the calendar that has not begun yet: pending or approved.
  if (CALENDAR_STATUSES.includes(booking.status) && start > Date.now() - 60_000) {
    return <Countdown to={booking.start_time} prefix="starts in" pastLabel="starting now" />;
  }
  return null;
}

/** Connect (a new tab) for a web session, or host, port and password for another. */
function SessionAccess({ booking }) {
  const { data: session, isPending, isError } = useSession(booking.id);
  const box =
    'mt-3 flex flex-wrap items-center gap-2 rounded-lg bg-emerald-50 px-3 py-2 text-sm ring-1 ring-emerald-200';
  if (isPending) return <p className={box}>Preparing your session link…</p>;
  const reachable = session?.http ? session.connect_url : session?.host && session?.port;
  if (isError || !session || session.state !== 'running' || !reachable) {
    return <p className={box}>Your session is starting; its link appears here in a moment.</p>;
  }
  if (session.connect_url) {
    return (
      <div className={box}>
        <a
          href={`/sessions/${booking.id}/`}
          target="_blank"
          rel="noopener"
          className="inline-flex items-center rounded-md bg-emerald-600 px-3 py-1.5 font-semibold text-white hover:bg-emerald-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-600"
        >
          Connect
        </a>
        <span className="text-emerald-900">
          {session.image} · until {formatTime(session.ends_at)}
        </span>
      </div>
    );
  }
  const address = `${session.host}:${session.port}`;
  return (
    <div className={box}>
      <span className="font-medium text-emerald-900">{session.image}:</span>
      <span className="font-mono text-emerald-800 break-all">{address}</span>
      <CopyButton text={address} label="Copy address" />
      <CopyButton text={session.password} label="Copy password" />
      <span className="text-emerald-900">until {formatTime(session.ends_at)}</span>
    </div>
  );
}
