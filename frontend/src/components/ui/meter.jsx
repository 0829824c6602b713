import { cn } from './cn';

/** A labelled usage bar: "CPU 6 / 16 cores". */
export function Meter({ label, used, total, unit }) {
  const fraction = total > 0 ? Math.min(1, used / total) : 0;
  const tone = fraction > 0.85 ? 'bg-rose-500' : fraction > 0.6 ? 'bg-amber-500' : 'bg-indigo-500';
  return (
    <div>
      <div className="flex justify-between text-xs text-slate-600">
        <span className="font-medium">{label}</span>
        <span className="tabular-nums">
          {formatNumber(used)} / {formatNumber(total)} {unit}
        </span>
      </div>
      <div
        className="mt-1 h-2 overflow-hidden rounded-full bg-slate-100"
        role="meter"
        aria-label={`${label} in use`}
        aria-valuemin={0}
        aria-valuemax={total || 0}
        aria-valuenow={used || 0}
      >
        <div
          className={cn('h-full rounded-full transition-all', tone)}
          style={{ width: `${fraction * 100}%` }}
        />
      </div>
    </div>
  );
}

function formatNumber(n) {
  const v = Number(n) || 0;
  return Number.isInteger(v) ? v : v.toFixed(1);
}
