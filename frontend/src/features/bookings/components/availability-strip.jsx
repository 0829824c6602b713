import { useState } from 'react';
import { Card, CardHeader } from '@/components/ui/card';
import { Chip, ChipGroup } from '@/components/ui/chip';
import { formatDay, formatTime } from '@/lib/format';
import { useCapacity } from '../api/get-capacity';

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** A cell's colour by the share of the lab that is free in that hour. */
function tone(free, total) {
  if (!total) return 'bg-slate-100';
  const share = free / total;
  if (share >= 0.5) return 'bg-emerald-400';
  if (share >= 0.25) return 'bg-emerald-200';
  if (share > 0) return 'bg-amber-200';
  return 'bg-rose-300';
}

/** The hours grouped by local day: [{label, cells: [{hour, ...}]}]. */
function byDay(hours) {
  const days = new Map();
  for (const h of hours) {
    const at = new Date(h.start_time);
    const key = at.toDateString();
    if (!days.has(key)) days.set(key, { label: formatDay(at), cells: [] });
    days.get(key).cells.push({ ...h, hour: at.getHours() });
  }
  return [...days.values()];
}

/** Free CPU cores (or GPUs) of the whole lab over the next 7 days, hour by hour. */
export function AvailabilityStrip() {
  const capacity = useCapacity();
  const [resource, setResource] = useState('cpu');
  const data = capacity.data;
  if (!data) return null;
  const gpus = resource === 'gpu';
  const total = gpus ? data.total_gpus : data.total_cpu_cores;
  const unit = gpus ? 'GPUs' : 'cores';
  return (
    <Card aria-labelledby="strip-title" data-testid="availability-strip">
      <CardHeader
        id="strip-title"
        title="Free in the lab, next 7 days"
        description={`Hour by hour, the lab's free ${unit} out of ${total} (everyone's bookings together).`}
        actions={
          data.total_gpus > 0 && (
            <ChipGroup label="Show">
              <Chip active={!gpus} onClick={() => setResource('cpu')}>
                Cores
              </Chip>
              <Chip active={gpus} onClick={() => setResource('gpu')}>
                GPUs
              </Chip>
            </ChipGroup>
          )
        }
      />
      <div className="space-y-1 overflow-x-auto px-4 py-3 sm:px-5">
        {byDay(data.hours).map((day) => (
          <div key={day.label} className="flex items-center gap-2">
            <span className="w-20 shrink-0 text-xs text-slate-600">{day.label}</span>
            <div className="grid flex-1 grid-cols-24 gap-px">
              {day.cells.map((cell) => {
                const free = gpus ? cell.free_gpus : cell.free_cpu_cores;
                return (
                  <span
                    key={cell.start_time}
                    style={{ gridColumnStart: cell.hour + 1 }}
                    className={`h-4 rounded-sm ${tone(free, total)}`}
                    title={`${day.label} ${formatTime(cell.start_time)}: ${free} of ${total} ${unit} free`}
                  />
                );
              })}
            </div>
          </div>
        ))}
        <div className="flex items-center gap-2 pt-1 text-[11px] text-slate-500">
          <span className="w-20 shrink-0" />
          <div className="grid flex-1 grid-cols-24">
            {HOURS.filter((h) => h % 6 === 0).map((h) => (
              <span key={h} style={{ gridColumnStart: h + 1 }}>
                {String(h).padStart(2, '0')}
              </span>
            ))}
          </div>
        </div>
      </div>
    </Card>
  );
}
