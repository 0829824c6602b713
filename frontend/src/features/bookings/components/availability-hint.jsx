import { Spinner } from '@/components/ui/spinner';
import { plural } from '@/lib/format';

export function AvailabilityHint({ state, data, error }) {
  let tone = 'border-slate-200 bg-slate-50 text-slate-600';
  let body;
  if (state === 'invalid') {
    body = 'Complete the form to see whether a node has room.';
  } else if (state === 'checking') {
    body = (
      <span className="inline-flex items-center gap-2">
        <Spinner className="size-4" /> Checking availability…
      </span>
    );
  } else if (error) {
    tone = 'border-amber-200 bg-amber-50 text-amber-900';
    body = `Could not check availability: ${error.message}`;
  } else if (data?.available) {
    tone = 'border-emerald-200 bg-emerald-50 text-emerald-900';
    body = (
      <>
        <strong>Available.</strong> {plural(data.nodes_fitting, 'node')} could fit this request in
        that window.
      </>
    );
  } else if (data) {
    tone = 'border-rose-200 bg-rose-50 text-rose-900';
    body = (
      <>
        <strong>No node has room</strong> for this request in that window. Try another time or fewer
        resources — you can still submit and an admin will decide.
      </>
    );
  }
  return (
    <div
      role="status"
      aria-live="polite"
      className={`rounded-lg border px-3 py-2 text-sm ${tone}`}
      data-testid="availability"
    >
      {body}
    </div>
  );
}
