import {
  Area,
  AreaChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { Card, CardHeader, EmptyState } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/spinner';
import { formatDay } from '@/lib/format';

const SERIES = [
  { key: 'cpu', name: 'CPU', color: '#6366f1' },
  { key: 'memory', name: 'Memory', color: '#0ea5e9' },
  { key: 'gpu', name: 'GPU', color: '#f59e0b' },
];

export function UtilisationChart({ days, loading }) {
  const data = (days || []).map((d) => ({
    label: formatDay(`${d.date}T12:00:00`),
    cpu: Math.round((d.cpu || 0) * 100),
    memory: Math.round((d.memory || 0) * 100),
    gpu: Math.round((d.gpu || 0) * 100),
  }));
  // Scale to the busiest day (in steps of 25 %) so light weeks are still readable.
  const peak = Math.max(0, ...data.flatMap((d) => [d.cpu, d.memory, d.gpu]));
  const top = Math.min(100, Math.max(25, Math.ceil(peak / 25) * 25));
  return (
    <Card aria-labelledby="util-title">
      <CardHeader
        id="util-title"
        title="Booked capacity, next 7 days"
        description="Share of the lab's resources reserved by approved and active bookings."
      />
      <div className="px-2 py-4 sm:px-4">
        {loading ? (
          <Skeleton className="h-56" />
        ) : data.length === 0 ? (
          <EmptyState title="No data yet" />
        ) : (
          <>
            <div
              className="h-60"
              role="img"
              aria-label={`Utilisation chart: ${data.map((d) => `${d.label} CPU ${d.cpu}%`).join(', ')}`}
            >
              <ResponsiveContainer width="100%" height="100%">
                <AreaChart data={data} margin={{ top: 5, right: 12, left: -16, bottom: 0 }}>
                  <defs>
                    {SERIES.map((s) => (
                      <linearGradient key={s.key} id={`fill-${s.key}`} x1="0" y1="0" x2="0" y2="1">
                        <stop offset="0%" stopColor={s.color} stopOpacity={0.25} />
                        <stop offset="100%" stopColor={s.color} stopOpacity={0} />
                      </linearGradient>
                    ))}
                  </defs>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
                  <XAxis
                    dataKey="label"
                    tick={{ fontSize: 11, fill: '#64748b' }}
                    tickLine={false}
                    axisLine={false}
                    interval="preserveStartEnd"
                  />
                  <YAxis
                    domain={[0, top]}
                    tickFormatter={(v) => `${v}%`}
                    tick={{ fontSize: 11, fill: '#64748b' }}
                    tickLine={false}
                    axisLine={false}
                  />
                  <Tooltip
                    formatter={(v) => `${v}%`}
                    contentStyle={{ borderRadius: 12, borderColor: '#e2e8f0', fontSize: 12 }}
                  />
                  {SERIES.map((s) => (
                    <Area
                      key={s.key}
                      type="monotone"
                      dataKey={s.key}
                      name={s.name}
                      stroke={s.color}
                      strokeWidth={2}
                      fill={`url(#fill-${s.key})`}
                      isAnimationActive={false}
                    />
                  ))}
                </AreaChart>
              </ResponsiveContainer>
            </div>
            <ul className="mt-2 flex justify-center gap-4 text-xs text-slate-600" aria-hidden>
              {SERIES.map((s) => (
                <li key={s.key} className="flex items-center gap-1.5">
                  <span className="size-2.5 rounded-full" style={{ background: s.color }} />
                  {s.name}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </Card>
  );
}
