import { Card, CardHeader, ErrorState } from '@/components/ui/card';
import { Meter } from '@/components/ui/meter';
import { LoadingBlock } from '@/components/ui/spinner';
import { formatTime, plural } from '@/lib/format';
import { useMyExtensionRequests } from '../api/get-my-extension-requests';
import { useUsage } from '../api/get-usage';

const num = (n) => (Number.isInteger(n) ? n : Number(n).toFixed(1));

/** The policy's per-booking maxima in words, e.g. "4 cores · 16 GB · no GPU · 8 h". */
export function perBookingLimits(policy) {
  const parts = [];
  if (policy.max_cpu_cores != null) parts.push(plural(policy.max_cpu_cores, 'core'));
  if (policy.max_memory_gb != null) parts.push(`${num(policy.max_memory_gb)} GB`);
  if (policy.max_gpu_count != null)
    parts.push(policy.max_gpu_count ? plural(policy.max_gpu_count, 'GPU') : 'no GPU');
  if (policy.max_duration_hours != null) parts.push(`${num(policy.max_duration_hours)} h`);
  return parts.join(' · ');
}

/** What is approved without an admin, in words, or null when nothing is. */
export function autoApprovalText(usage) {
  const { policy } = usage;
  if (!usage.auto_approval) return null;
  const bounds = [];
  if (policy.auto_max_cpu_cores != null)
    bounds.push(`≤ ${plural(policy.auto_max_cpu_cores, 'core')}`);
  if (policy.auto_max_memory_gb != null) bounds.push(`≤ ${num(policy.auto_max_memory_gb)} GB`);
  if (policy.auto_max_duration_hours != null)
    bounds.push(`≤ ${num(policy.auto_max_duration_hours)} h`);
  if (policy.auto_max_gpu_count === 0) bounds.push('no GPU');
  else if (policy.auto_max_gpu_count != null)
    bounds.push(`≤ ${plural(policy.auto_max_gpu_count, 'GPU')}`);
  return bounds.length
    ? `Bookings within ${bounds.join(', ')} are approved at once when a node has room.`
    : 'Bookings within your policy are approved at once when a node has room.';
}

/** The student's usage against their policy: weekly hours, GPU-hours and open bookings. */
export function QuotaCard() {
  const usage = useUsage();
  return (
    <Card aria-labelledby="quota-title">
      <CardHeader
        id="quota-title"
        title="Your quota"
        description={usage.data ? `Policy: ${usage.data.policy.name}` : undefined}
      />
      {usage.isPending ? (
        <LoadingBlock label="Loading your quota…" />
      ) : usage.isError ? (
        <ErrorState error={usage.error} onRetry={usage.refetch} />
      ) : (
        <QuotaBody usage={usage.data} />
      )}
    </Card>
  );
}

function QuotaBody({ usage }) {
  const { policy } = usage;
  const perBooking = perBookingLimits(policy);
  const auto = autoApprovalText(usage);
  const meters = [
    policy.max_hours_per_week != null && (
      <Meter
        key="hours"
        label="Hours booked this week"
        used={usage.hours_used}
        total={policy.max_hours_per_week}
        unit="h"
      />
    ),
    policy.max_gpu_hours_per_week != null && (
      <Meter
        key="gpu"
        label="GPU-hours this week"
        used={usage.gpu_hours_used}
        total={policy.max_gpu_hours_per_week}
        unit="GPU-h"
      />
    ),
    policy.max_open_bookings != null && (
      <Meter
        key="open"
        label="Open bookings"
        used={usage.open_bookings}
        total={policy.max_open_bookings}
        unit=""
      />
    ),
  ].filter(Boolean);
  return (
    <div className="space-y-3 px-4 py-4 text-sm sm:px-5">
      {meters.length ? (
        <div className="space-y-3">{meters}</div>
      ) : (
        <p className="text-slate-600">
          No weekly limits. This week: {num(usage.hours_used)} h booked.
        </p>
      )}
      {perBooking && (
        <p className="text-slate-600">
          <span className="font-medium text-slate-700">Per booking:</span> up to {perBooking}
        </p>
      )}
      <p className={auto ? 'text-emerald-800' : 'text-slate-600'} data-testid="auto-approval-note">
        {auto || 'Every booking waits for an admin to approve it.'}
      </p>
      <MyExtensionRequests />
    </div>
  );
}

const OUTCOME = {
  granted: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  approved: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  pending: 'bg-amber-50 text-amber-900 ring-amber-200',
  rejected: 'bg-rose-50 text-rose-900 ring-rose-200',
  lapsed: 'bg-slate-50 text-slate-700 ring-slate-200',
};

/** The latest requests for more time and what became of them. */
export function MyExtensionRequests() {
  const requests = useMyExtensionRequests({ page: 1, perPage: 3 });
  const items = requests.data?.items || [];
  if (!items.length) return null;
  return (
    <div>
      <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
        Requests for more time
      </h3>
      <ul className="mt-1.5 space-y-1.5">
        {items.map((r) => (
          <li
            key={r.id}
            aria-label={`Extension request ${r.id}`}
            className={`rounded-lg px-3 py-2 text-xs ring-1 ${OUTCOME[r.status] || ''}`}
          >
            <span className="font-semibold capitalize">{r.status}</span>: booking #{r.booking_id}{' '}
            until {formatTime(r.requested_end)}
            {r.status === 'pending' && r.review_reason && (
              <span className="block">Waiting for an admin: {r.review_reason}</span>
            )}
            {(r.status === 'rejected' || r.status === 'lapsed') && (
              <span className="block">{r.decision_reason || 'No reason given.'}</span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
