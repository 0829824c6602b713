import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { routeApi } from '@/test/mock-api';
import { admin, page, renderWithProviders } from '@/test/utils';
import { assignLanes, Timeline } from './timeline';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const HOUR = 3_600_000;
const iso = (ms) => new Date(ms).toISOString();
const at = (hoursFromNow, length = 2) => ({
  start_time: iso(Date.now() + hoursFromNow * HOUR),
  end_time: iso(Date.now() + (hoursFromNow + length) * HOUR),
});

describe('timeline', () => {
  test('overlapping bookings get separate lanes', () => {
    const { placed, laneCount } = assignLanes([
      { id: 1, ...at(1, 3) },
      { id: 2, ...at(2, 1) },
      { id: 3, ...at(5, 1) },
    ]);
    expect(laneCount).toBe(2);
    expect(Object.fromEntries(placed.map((p) => [p.booking.id, p.lane]))).toEqual({
      1: 0,
      2: 1,
      3: 0,
    });
  });

  test('draws one row per node, an unassigned row for pending requests, and skips rejected ones', async () => {
    const list = vi.fn(() =>
      page([
        { id: 1, status: 'approved', username: 'ann', agent_id: 1, ...at(20) },
        { id: 2, status: 'active', username: 'ben', agent_id: 2, ...at(-1, 3) },
        { id: 3, status: 'pending', username: 'cat', agent_id: null, ...at(30) },
        { id: 4, status: 'rejected', username: 'dan', agent_id: 1, ...at(40) },
      ]),
    );
    routeApi(api, { 'GET /admin/bookings': list });
    const agents = [
      { id: 1, name: 'node-a', status: 'online' },
      { id: 2, name: 'node-b', status: 'online' },
    ];
    renderWithProviders(<Timeline agents={agents} />, { user: admin });
    const grid = await screen.findByRole('grid', { name: 'Bookings per node this week' });
    const rows = within(grid).getAllByRole('row');
    expect(
      rows.map((r) => within(r).queryByRole('rowheader')?.textContent).filter(Boolean),
    ).toEqual(['node-aonline', 'node-bonline', 'Unassignedpending']);
    expect(
      within(rows[1]).getByRole('button', { name: /ann, booking 1, approved/ }),
    ).toBeInTheDocument();
    expect(
      within(rows[2]).getByRole('button', { name: /ben, booking 2, active/ }),
    ).toBeInTheDocument();
    expect(
      within(rows[3]).getByRole('button', { name: /cat, booking 3, pending/ }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /dan/ })).not.toBeInTheDocument();
    // Seven day columns after the node column.
    expect(within(rows[0]).getAllByRole('columnheader')).toHaveLength(8);
    await waitFor(() => expect(list).toHaveBeenCalled());
    expect(list.mock.calls[0][0].params).toMatchObject({
      status: 'pending,approved,active,completed',
      overlaps_from: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:00:00\+00:00$/),
      sort: 'start_time',
      order: 'asc',
      per_page: 100,
    });
  });
});
