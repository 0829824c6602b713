import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { chartData, UtilisationChart, xTicks, yTicks } from './utilisation-chart';

// jsdom draws no canvas: uPlot is replaced by a recorder of what the chart gives it.
const plots = vi.hoisted(() => []);
vi.mock('uplot', () => {
  class FakePlot {
    constructor(opts, data, el) {
      Object.assign(this, { opts, data, el, width: opts.width, destroyed: false });
      plots.push(this);
    }
    setSize({ width }) {
      this.width = width;
    }
    destroy() {
      this.destroyed = true;
    }
  }
  FakePlot.paths = { spline: () => 'spline' };
  FakePlot.pxRatio = 1;
  return { default: FakePlot };
});

const days = [
  { date: '2026-12-01', cpu: 0.42, memory: 0.3, gpu: 0.5 },
  { date: '2026-12-02', cpu: 0.68, memory: 0.52, gpu: 0.25 },
  { date: '2026-12-03', cpu: 0.05, memory: 0.04, gpu: 0 },
];

beforeEach(() => {
  plots.length = 0;
  vi.stubGlobal(
    'ResizeObserver',
    class {
      observe() {}
      disconnect() {}
    },
  );
});
afterEach(() => vi.unstubAllGlobals());

describe('utilisation chart', () => {
  test('the y axis tops at the busiest day rounded up to 25 %, never below 25 %', () => {
    expect(chartData(days).top).toBe(75);
    expect(chartData([{ date: '2026-12-01', cpu: 0.02, memory: 0, gpu: 0 }]).top).toBe(25);
    expect(chartData([{ date: '2026-12-01', cpu: 1, memory: 1, gpu: 1 }]).top).toBe(100);
    expect(yTicks(75)).toEqual([0, 25, 50, 75]);
    expect(yTicks(25)).toEqual([0, 5, 10, 15, 20, 25]);
  });

  test('day labels thin out on a phone so they do not overlap', () => {
    expect(xTicks(7, 1100)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(xTicks(7, 300)).toEqual([0, 2, 4, 6]);
  });

  test('plots each resource as a whole percentage per day and says them to screen readers', () => {
    render(<UtilisationChart days={days} />);
    const [plot] = plots;
    expect(plot.data).toEqual([
      [0, 1, 2],
      [42, 68, 5],
      [30, 52, 4],
      [50, 25, 0],
    ]);
    expect(plot.opts.scales.y.range).toEqual([0, 75]);
    expect(plot.opts.series.slice(1).map((s) => s.label)).toEqual(['CPU', 'Memory', 'GPU']);
    expect(screen.getByRole('img').getAttribute('aria-label')).toMatch(
      /Utilisation chart: .*1.* CPU 42% Memory 30% GPU 50%, .*2.* CPU 68% Memory 52% GPU 25%/,
    );
  });

  test('hovering a day shows its three values, leaving the plot hides them', () => {
    render(<UtilisationChart days={days} />);
    const [plot] = plots;
    const hover = (cursor) =>
      act(() => plot.opts.hooks.setCursor[0]({ cursor, over: { offsetLeft: 40 } }));
    hover({ idx: 1, left: 120 });
    expect(screen.getByText('CPU: 68%')).toBeInTheDocument();
    expect(screen.getByText('Memory: 52%')).toBeInTheDocument();
    expect(screen.getByText('GPU: 25%')).toBeInTheDocument();
    hover({ idx: 1, left: -10 });
    expect(screen.queryByText('CPU: 68%')).not.toBeInTheDocument();
  });

  test('new figures replace the plot instead of stacking a second one', () => {
    const { rerender, unmount } = render(<UtilisationChart days={days} />);
    rerender(<UtilisationChart days={days.slice(0, 2)} />);
    expect(plots).toHaveLength(2);
    expect(plots[0].destroyed).toBe(true);
    unmount();
    expect(plots[1].destroyed).toBe(true);
  });

  test('says so when there are no days, and draws nothing while loading', () => {
    const { rerender } = render(<UtilisationChart days={[]} />);
    expect(screen.getByText('No data yet')).toBeInTheDocument();
    rerender(<UtilisationChart loading />);
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
    expect(plots).toHaveLength(0);
  });
});
