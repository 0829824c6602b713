import { screen, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { formatDateTime } from '@/lib/format';
import { routeApi } from '@/test/mock-api';
import { admin, renderWithProviders } from '@/test/utils';
import { formatInterval, SchedulerPanel } from './scheduler-panel';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const ago = (ms) => new Date(Date.now() - ms).toISOString();
const job = (name, interval_seconds, extra = {}) => ({
  name,
  interval_seconds,
  last_started_at: ago(20_000),
  last_finished_at: ago(19_000),
  last_ok: true,
  last_error: null,
  last_result: {},
  runs: 42,
  ...extra,
});

function status(extra = {}) {
  return {
    enabled: true,
    leader: {
      holder: 'ctl-a:4242',
      since: '2026-11-27T08:00:00+00:00',
      heartbeat_at: ago(4_000),
    },
    this_process: { holder: 'ctl-a:4242', is_leader: true },
    jobs: [job('tick', 1), job('health', 60), job('wake', 15), job('reconcile', 60)],
    next_actions: {
      starts: [
        { booking_id: 12, at: '2026-11-28T09:00:00+00:00', agent: 'gpu-01', attempts: 0 },
        {
          booking_id: 13,
          at: '2026-11-28T10:00:00+00:00',
          agent: 'gpu-02',
          attempts: 2,
          last_error: 'agent unreachable',
        },
      ],
      stops: [{ booking_id: 9, at: '2026-11-27T12:00:00+00:00', agent: 'gpu-01' }],
      wakes: [],
    },
    ...extra,
  };
}

function setup(data) {
  routeApi(api, { 'GET /admin/scheduler': data });
  return renderWithProviders(<SchedulerPanel />, { user: admin });
}

describe('scheduler panel', () => {
  test('shows the leader, each job and the next actions in local time', async () => {
    setup(status());
    const panel = await screen.findByRole('region', { name: 'Scheduler' });
    expect(await within(panel).findByText('ctl-a:4242')).toBeInTheDocument();
    expect(within(panel).getByText('Enabled')).toBeInTheDocument();
    expect(within(panel).getByText('this controller')).toBeInTheDocument();
    expect(within(panel).getByText('4 s ago')).toBeInTheDocument();
    expect(
      within(panel).getByText(formatDateTime('2026-11-27T08:00:00+00:00')),
    ).toBeInTheDocument();

    const tick = within(panel).getByRole('listitem', { name: 'Job tick' });
    expect(within(tick).getByText('every 1 s')).toBeInTheDocument();
    expect(within(tick).getByText('OK')).toBeInTheDocument();
    expect(within(tick).getByText('42')).toBeInTheDocument();
    expect(within(tick).getByText('just now')).toBeInTheDocument();
    expect(
      within(within(panel).getByRole('listitem', { name: 'Job health' })).getByText('every 1 min'),
    ).toBeInTheDocument();

    const starts = within(panel).getByRole('region', { name: 'Next starts' });
    // Europe/Berlin (the test time zone): 09:00 UTC is 10:00 local.
    expect(within(starts).getByText('#12').closest('li')).toHaveTextContent(
      /Nov 28, 10:00 AM.*gpu-01/,
    );
    expect(within(starts).getByText('2 attempts so far: agent unreachable')).toBeInTheDocument();
    const stops = within(panel).getByRole('region', { name: 'Next stops' });
    expect(within(stops).getByText('#9').closest('li')).toHaveTextContent(
      /Nov 27, 01:00 PM.*gpu-01/,
    );
    expect(
      within(within(panel).getByRole('region', { name: 'Next wakes' })).getByText(
        'Nothing planned',
      ),
    ).toBeInTheDocument();
  });

  test("a job's error is shown with its text", async () => {
    setup(
      status({
        jobs: [
          job('tick', 1),
          job('health', 60, { last_ok: false, last_error: 'OperationalError: database down' }),
          { name: 'wake', interval_seconds: 15, runs: 0 },
          job('reconcile', 60),
        ],
      }),
    );
    const health = await screen.findByRole('listitem', { name: 'Job health' });
    expect(within(health).getByText('Error')).toBeInTheDocument();
    expect(within(health).getByText('OperationalError: database down')).toBeInTheDocument();
    const wake = screen.getByRole('listitem', { name: 'Job wake' });
    expect(within(wake).getByText('Not run yet')).toBeInTheDocument();
    expect(within(wake).getByText('never')).toBeInTheDocument();
    expect(within(screen.getByRole('listitem', { name: 'Job tick' })).queryByText('Error')).toBe(
      null,
    );
  });

  test('a stale heartbeat and a missing leader are flagged', async () => {
    setup(status({ leader: { ...status().leader, heartbeat_at: ago(5 * 60_000) } }));
    expect(await screen.findByText('5 min ago')).toBeInTheDocument();
    expect(screen.getByText(/\(stale\)/)).toBeInTheDocument();
  });

  test('with no leader it says no jobs run', async () => {
    setup(status({ leader: null, this_process: { holder: 'ctl-b', is_leader: false } }));
    expect(await screen.findByText(/no controller holds the scheduler lease/)).toBeInTheDocument();
  });

  test('when disabled it says so instead of showing jobs', async () => {
    setup(
      status({
        enabled: false,
        leader: null,
        this_process: { holder: null, is_leader: false },
        jobs: [{ name: 'tick', interval_seconds: 1, runs: 0 }],
      }),
    );
    const panel = await screen.findByRole('region', { name: 'Scheduler' });
    expect(await within(panel).findByText('The scheduler is off')).toBeInTheDocument();
    expect(within(panel).getByText('Off')).toBeInTheDocument();
    expect(
      within(panel).getByText('2 approved bookings are waiting to start.'),
    ).toBeInTheDocument();
    expect(within(panel).queryByRole('listitem', { name: 'Job tick' })).not.toBeInTheDocument();
  });
});

test.each([
  [1, 'every 1 s'],
  [0.5, 'every 0.5 s'],
  [15, 'every 15 s'],
  [60, 'every 1 min'],
  [90, 'every 1.5 min'],
])('formatInterval(%s) is %j', (seconds, text) => {
  expect(formatInterval(seconds)).toBe(text);
});
