import { Skeleton } from '@/components/ui/spinner';
import { percent } from '@/lib/format';

function Stat({ label, value, sub, tone = 'text-slate-900', accent = 'bg-slate-200' }) {
  return (
    <div className="relative overflow-hidden rounded-2xl bg-white px-4 py-3.5 shadow-xs ring-1 ring-slate-200/80">
      <span className={`absolute inset-y-0 left-0 w-1 ${accent}`} aria-hidden />
      <dt className="truncate text-xs font-medium text-slate-500">{label}</dt>
      <dd className={`mt-1 text-2xl font-bold tabular-nums ${tone}`}>{value}</dd>
      {sub && <dd className="mt-0.5 text-xs text-slate-500">{sub}</dd>}
    </div>
  );
}

export function StatCards({ stats, loading }) {
  if (loading || !stats) {
    return (
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        {[0, 1, 2, 3].map((i) => (
          <Skeleton key={i} className="h-24" />
        ))}
      </div>
    );
  }
  const b = stats.bookings || {};
  const a = stats.agents || {};
  const u = stats.utilisation_now || {};
  return (
    <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
      <Stat
        label="Waiting for approval"
        value={b.pending ?? 0}
        tone="text-amber-700"
        accent="bg-amber-400"
        sub={`${b.approved ?? 0} approved, upcoming`}
      />
      <Stat
        label="Running now"
        value={b.active ?? 0}
        tone="text-emerald-700"
        accent="bg-emerald-500"
        sub={`${b.completed ?? 0} completed · ${b.failed ?? 0} failed`}
      />
      <Stat
        label="Nodes online"
        value={`${a.online ?? 0}/${a.total ?? 0}`}
        accent="bg-indigo-500"
        sub={`${a.maintenance ?? 0} maintenance · ${a.offline ?? 0} offline`}
      />
      <Stat
        label="CPU in use now"
        value={percent(u.cpu)}
        accent="bg-sky-500"
        sub={`Memory ${percent(u.memory)} · GPU ${percent(u.gpu)}`}
      />
    </dl>
  );
}
