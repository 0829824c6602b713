import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Card, CardHeader, EmptyState } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/spinner';
import { formatDay } from '@/lib/format';

const SERIES = [
  { key: 'cpu', name: 'CPU', color: '#6366f1' },
  { key: 'memory', name: 'Memory', color: '#0ea5e9' },
  { key: 'gpu', name: 'GPU', color: '#f59e0b' },
];
const HEIGHT = 240;
const LABEL_WIDTH = 76; // room one "Tue, Dec 1" needs on the x axis
const AXIS = { font: '11px system-ui, sans-serif', stroke: '#64748b', ticks: { show: false } };

/** The days as whole percentages per series, and the top of the y axis: the busiest
 * day rounded up to a step of 25 %, so light weeks are still readable. */
export function chartData(days) {
  const labels = days.map((d) => formatDay(`${d.date}T12:00:00`));
  const values = Object.fromEntries(
    SERIES.map((s) => [s.key, days.map((d) => Math.round((d[s.key] || 0) * 100))]),
  );
  const peak = Math.max(0, ...SERIES.flatMap((s) => values[s.key]));
  const top = Math.min(100, Math.max(25, Math.ceil(peak / 25) * 25));
  return { labels, values, top };
}

/** The y axis ticks for a top of 25, 50, 75 or 100 %. */
export function yTicks(top) {
  const step = top > 50 ? 25 : top > 25 ? 10 : 5;
  return Array.from({ length: top / step + 1 }, (_, i) => i * step);
}

/** Every k-th day, so the labels do not overlap at this plot width. */
export function xTicks(count, plotWidth) {
  const k = Math.max(1, Math.ceil((count * LABEL_WIDTH) / Math.max(plotWidth, 1)));
  return Array.from({ length: count }, (_, i) => i).filter((i) => i % k === 0);
}

function fadeDown(color) {
  return (u) => {
    const g = u.ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
    g.addColorStop(0, `${color}40`);
    g.addColorStop(1, `${color}00`);
    return g;
  };
}

function options({ labels, top, width, onHover }) {
  return {
    width,
    height: HEIGHT,
    padding: [10, 34, 0, 0],
    legend: { show: false },
    scales: { x: { time: false }, y: { range: [0, top] } },
    cursor: {
      y: false,
      drag: { x: false, y: false },
      // The cursor snaps to the nearest day, as the data has one value a day
      // (left < 0: the pointer is outside the plot).
      move: (u, left, topPx) => [left < 0 ? left : u.valToPos(u.posToIdx(left), 'x'), topPx],
    },
    axes: [
      {
        ...AXIS,
        size: 28,
        grid: { show: false },
        splits: (u) => xTicks(labels.length, u.bbox.width / uPlot.pxRatio),
        values: (u, splits) => splits.map((i) => labels[i] ?? ''),
      },
      {
        ...AXIS,
        size: 44,
        grid: { stroke: '#e2e8f0', dash: [3, 3], width: 1 },
        splits: () => yTicks(top),
        values: (u, splits) => splits.map((v) => `${v}%`),
      },
    ],
    series: [
      {},
      ...SERIES.map((s) => ({
        label: s.name,
        stroke: s.color,
        width: 2,
        fill: fadeDown(s.color),
        paths: uPlot.paths.spline(),
        points: { show: false },
      })),
    ],
    hooks: {
      setCursor: [
        (u) => {
          const { idx, left } = u.cursor;
          onHover(idx == null || left < 0 ? null : { idx, left, plotLeft: u.over.offsetLeft });
        },
      ],
    },
  };
}

/** The chart itself: uPlot on a canvas, sized to its container, with a tooltip per day. */
function Plot({ labels, values, top, label }) {
  const box = useRef(null);
  const [hover, setHover] = useState(null);

  useEffect(() => {
    const el = box.current;
    const data = [labels.map((_, i) => i), ...SERIES.map((s) => values[s.key])];
    const plot = new uPlot(
      options({ labels, top, width: el.clientWidth || 600, onHover: setHover }),
      data,
      el,
    );
    const resize = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry.contentRect.width);
      if (width > 0 && width !== plot.width) plot.setSize({ width, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
      setHover(null);
    };
  }, [labels, values, top]);

  const width = box.current?.clientWidth || 0;
  const x = hover ? hover.plotLeft + hover.left : 0;
  return (
    <div className="relative" role="img" aria-label={label}>
      <div ref={box} style={{ height: HEIGHT }} />
      {hover && (
        <div
          aria-hidden
          className="pointer-events-none absolute top-2 z-10 rounded-xl bg-white/95 px-3 py-2 text-xs shadow-md ring-1 ring-slate-200"
          style={x > width / 2 ? { right: width - x + 12 } : { left: x + 12 }}
        >
          <p className="mb-1 font-semibold text-slate-800">{labels[hover.idx]}</p>
          {SERIES.map((s) => (
            <p
              key={s.key}
              className="flex items-center gap-1.5 tabular-nums"
              style={{ color: s.color }}
            >
              <span className="size-2 rounded-full" style={{ background: s.color }} />
              {s.name}: {values[s.key][hover.idx]}%
            </p>
          ))}
        </div>
      )}
    </div>
  );
}

export function UtilisationChart({ days, loading }) {
  const chart = useMemo(() => chartData(days || []), [days]);
  const label = `Utilisation chart: ${chart.labels
    .map(
      (day, i) => `${day} ${SERIES.map((s) => `${s.name} ${chart.values[s.key][i]}%`).join(' ')}`,
    )
    .join(', ')}`;
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
        ) : chart.labels.length === 0 ? (
          <EmptyState title="No data yet" />
        ) : (
          <>
            <Plot {...chart} label={label} />
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
