import { Meter } from '@/components/ui/meter';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatDateTime, formatRelative } from '@/lib/format';
import { useNow } from '@/lib/use-now';

/** Reads the agent's last health report whatever its exact shape: ok / degraded / unknown. */
export function healthSummary(health) {
  if (!health || typeof health !== 'object') return { tone: 'unknown', label: 'No report yet' };
  const status = String(
    health.status ?? health.state ?? (health.ok === false ? 'error' : health.ok ? 'ok' : ''),
  ).toLowerCase();
  if (['ok', 'healthy', 'up', 'online'].includes(status)) return { tone: 'ok', label: 'Healthy' };
  if (!status) return { tone: 'unknown', label: 'Reported' };
  const text = status.replace(/_/g, ' ');
  return { tone: 'bad', label: text[0].toUpperCase() + text.slice(1) };
}

const healthTone = {
  ok: 'text-emerald-700',
  bad: 'text-rose-700',
  unknown: 'text-slate-500',
};

export function NodeCard({ agent, onToggleMaintenance, toggling }) {
  const now = useNow(30_000);
  const usage = agent.usage_now || {};
  const health = healthSummary(agent.last_health);
  const inMaintenance = agent.status === 'maintenance';
  const healthDetails =
    agent.last_health && typeof agent.last_health === 'object'
      ? Object.entries(agent.last_health)
      : [];
  return (
    <li
      className="flex flex-col rounded-xl bg-white p-4 shadow-xs ring-1 ring-slate-200/80"
      aria-label={`Node ${agent.name}`}
    >
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="truncate font-semibold text-slate-900">{agent.name}</h3>
          <p className="truncate font-mono text-xs text-slate-500" title={agent.url}>
            {agent.url}
          </p>
        </div>
        <StatusBadge status={agent.status} />
      </div>

      <dl className="mt-3 grid grid-cols-2 gap-x-3 gap-y-1 text-xs">
        <dt className="text-slate-500">Health</dt>
        <dd className={`font-medium ${healthTone[health.tone]}`}>{health.label}</dd>
        <dt className="text-slate-500">Last seen</dt>
        <dd
          className="text-slate-700"
          title={agent.last_seen ? formatDateTime(agent.last_seen) : undefined}
        >
          {formatRelative(agent.last_seen, now)}
        </dd>
        <dt className="text-slate-500">Images</dt>
        <dd className="min-w-0 text-slate-700">
          {agent.images == null ? (
            <span className="text-slate-400">not reported yet</span>
          ) : agent.images.length === 0 ? (
            <span className="text-amber-700">none present</span>
          ) : (
            <span className="font-mono break-all">{agent.images.join(', ')}</span>
          )}
        </dd>
      </dl>

      <div className="mt-3 space-y-2">
        <Meter label="CPU" used={usage.cpu_cores ?? 0} total={agent.cpu_cores} unit="cores" />
        <Meter label="Memory" used={usage.memory_gb ?? 0} total={agent.memory_gb} unit="GB" />
        {agent.gpu_count > 0 && (
          <Meter label="GPU" used={usage.gpu_count ?? 0} total={agent.gpu_count} unit="" />
        )}
      </div>

      {agent.tags?.length > 0 && (
        <ul className="mt-3 flex flex-wrap gap-1" aria-label="Tags">
          {agent.tags.map((tag) => (
            <li
              key={tag}
              className="rounded-md bg-slate-100 px-1.5 py-0.5 text-[11px] text-slate-600"
            >
              {tag}
            </li>
          ))}
        </ul>
      )}

      {healthDetails.length > 0 && (
        <details className="mt-3 text-xs text-slate-600">
          <summary className="cursor-pointer font-medium text-slate-500 hover:text-slate-800">
            Health report
          </summary>
          <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5">
            {healthDetails.map(([key, value]) => (
              <div key={key} className="contents">
                <dt className="text-slate-500">{key}</dt>
                <dd
                  className="truncate font-mono"
                  title={typeof value === 'object' ? JSON.stringify(value) : String(value)}
                >
                  {typeof value === 'object' ? JSON.stringify(value) : String(value)}
                </dd>
              </div>
            ))}
          </dl>
        </details>
      )}

      <div className="mt-auto flex items-center justify-between gap-3 border-t border-slate-100 pt-3 mt-4">
        <label htmlFor={`maint-${agent.id}`} className="text-sm text-slate-700">
          Maintenance
        </label>
        <button
          id={`maint-${agent.id}`}
          type="button"
          role="switch"
          aria-checked={inMaintenance}
          disabled={toggling}
          onClick={() => onToggleMaintenance(agent)}
          className={`relative inline-flex h-6 w-11 shrink-0 cursor-pointer rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60 ${
            inMaintenance ? 'bg-amber-500' : 'bg-slate-300'
          }`}
        >
          <span
            aria-hidden
            className={`inline-block size-5 translate-y-0.5 rounded-full bg-white shadow transition-transform ${
              inMaintenance ? 'translate-x-5.5' : 'translate-x-0.5'
            }`}
          />
        </button>
      </div>
    </li>
  );
}
