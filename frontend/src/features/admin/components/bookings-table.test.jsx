import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, routeApi } from '@/test/mock-api';
import { admin, page, renderWithProviders } from '@/test/utils';
import { BookingsTable, summariseBulk } from './bookings-table';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const agents = [
  {
    id: 1,
    name: 'node-a',
    status: 'online',
    cpu_cores: 16,
    memory_gb: 64,
    gpu_count: 1,
    usage_now: { cpu_cores: 4, memory_gb: 8, gpu_count: 0 },
  },
  {
    id: 2,
    name: 'node-b',
    status: 'maintenance',
    cpu_cores: 8,
    memory_gb: 32,
    gpu_count: 0,
    usage_now: {},
  },
];

function booking(id, status, extra = {}) {
  return {
    id,
    status,
    user_id: 10 + id,
    username: `student${id}`,
    start_time: '2026-11-28T09:00:00+00:00',
    end_time: '2026-11-28T11:00:00+00:00',
    cpu_cores: 2,
    memory_gb: 4,
    gpu_count: 0,
    image: 'jupyter/base-notebook:latest',
    agent_id: null,
    agent_name: null,
    created_at: '2026-11-27T08:00:00+00:00',
    at_risk: false,
    ...extra,
  };
}

function setup(items, handlers = {}) {
  const list = vi.fn(() => page(items, { total: items.length }));
  routeApi(api, { 'GET /admin/bookings': list, ...handlers });
  return { ...renderWithProviders(<BookingsTable agents={agents} />, { user: admin }), list };
}

const row = (username) => screen.getByRole('row', { name: new RegExp(username) });

describe('admin bookings table', () => {
  test('shows rows with status badges and the actions each status allows', async () => {
    setup([
      booking(1, 'pending'),
      booking(2, 'active', { agent_name: 'node-a' }),
      booking(3, 'completed'),
    ]);
    await screen.findByText('student1');
    expect(within(row('student1')).getByText('pending')).toBeInTheDocument();
    expect(
      within(row('student1')).getByRole('button', { name: 'Approve booking 1' }),
    ).toBeInTheDocument();
    expect(
      within(row('student1')).getByRole('button', { name: 'Reject booking 1' }),
    ).toBeInTheDocument();
    expect(
      within(row('student2')).getByRole('button', { name: 'Extend booking 2' }),
    ).toBeInTheDocument();
    expect(
      within(row('student2')).queryByRole('button', { name: /Approve/ }),
    ).not.toBeInTheDocument();
    expect(
      within(row('student3')).queryAllByRole('button', { name: /Approve|Reject|Extend/ }),
    ).toHaveLength(0);
  });

  test('approves onto a chosen node', async () => {
    const approve = vi.fn(() => booking(1, 'approved', { agent_name: 'node-a' }));
    const { user } = setup([booking(1, 'pending')], { 'POST /admin/approve/1': approve });
    await user.click(await screen.findByRole('button', { name: 'Approve booking 1' }));
    const dialog = screen.getByRole('dialog', { name: 'Approve booking #1' });
    const node = within(dialog).getByLabelText('Node');
    expect(within(node).getByRole('option', { name: /node-b — maintenance/ })).toBeDisabled();
    expect(
      within(node).getByRole('option', { name: /node-a — 12 CPU · 56 GB · 1 GPU free now/ }),
    ).toBeEnabled();
    await user.selectOptions(node, '1');
    await user.type(within(dialog).getByLabelText(/Notes/), 'Thesis deadline');
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(approve).toHaveBeenCalledWith({
        body: { agent_id: 1, notes: 'Thesis deadline' },
        params: {},
      }),
    );
    expect(await screen.findByText('Booking #1 approved on node-a.')).toBeInTheDocument();
  });

  test('approves automatically when no node is chosen', async () => {
    const approve = vi.fn(() => booking(1, 'approved'));
    const { user } = setup([booking(1, 'pending')], { 'POST /admin/approve/1': approve });
    await user.click(await screen.findByRole('button', { name: 'Approve booking 1' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(approve).toHaveBeenCalledWith({ body: {}, params: {} }));
  });

  test('shows capacity_exceeded and rolls the optimistic status back', async () => {
    const { user } = setup([booking(1, 'pending')], {
      'POST /admin/approve/1': () => {
        throw apiError(
          409,
          'capacity_exceeded',
          'No node has room for 2 CPU, 4 GB in that window.',
        );
      },
    });
    await user.click(await screen.findByRole('button', { name: 'Approve booking 1' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Approve' }));
    expect(
      await screen.findByText(
        'Could not approve booking #1: No node has room for 2 CPU, 4 GB in that window.',
      ),
    ).toBeInTheDocument();
    await waitFor(() => expect(within(row('student1')).getByText('pending')).toBeInTheDocument());
  });

  test('rejecting needs a reason, which is sent', async () => {
    let items = [booking(1, 'pending')];
    const reject = vi.fn(({ body }) => {
      items = [booking(1, 'rejected', { rejection_reason: body.reason })];
      return items[0];
    });
    const { user } = setup(items, {
      'GET /admin/bookings': () => page(items),
      'POST /admin/reject/1': reject,
    });
    await user.click(await screen.findByRole('button', { name: 'Reject booking 1' }));
    const dialog = screen.getByRole('dialog', { name: 'Reject booking #1' });
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));
    expect(within(dialog).getByText(/Give the student a reason/)).toBeInTheDocument();
    expect(reject).not.toHaveBeenCalled();
    await user.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'GPU reserved for a course',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));
    await waitFor(() =>
      expect(reject).toHaveBeenCalledWith({
        body: { reason: 'GPU reserved for a course' },
        params: {},
      }),
    );
    await waitFor(() => expect(within(row('student1')).getByText('rejected')).toBeInTheDocument());
    expect(
      within(row('student1')).getByText('Reason: GPU reserved for a course'),
    ).toBeInTheDocument();
  });

  test('extends by the chosen minutes and reports a refusal in the dialog', async () => {
    const extend = vi
      .fn()
      .mockImplementationOnce(() => {
        throw apiError(409, 'capacity_exceeded', 'The node is booked right after.');
      })
      .mockImplementationOnce(({ body }) =>
        booking(2, 'active', { end_time: '2026-11-28T11:30:00+00:00', body }),
      );
    const { user } = setup([booking(2, 'active')], { 'POST /admin/extend/2': extend });
    await user.click(await screen.findByRole('button', { name: 'Extend booking 2' }));
    const dialog = screen.getByRole('dialog', { name: 'Extend booking #2' });
    await user.click(within(dialog).getByRole('button', { name: '+2 h' }));
    await user.click(within(dialog).getByRole('button', { name: 'Extend by 120 min' }));
    expect(await within(dialog).findByText('The node is booked right after.')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: '+30 min' }));
    await user.click(within(dialog).getByRole('button', { name: 'Extend by 30 min' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(extend.mock.calls.map(([c]) => c.body)).toEqual([{ minutes: 120 }, { minutes: 30 }]);
  });

  test('bulk approve sends the selected ids and summarises partial failures', async () => {
    const bulk = vi.fn(() => ({
      results: [
        { id: 1, ok: true, booking: booking(1, 'approved') },
        { id: 3, ok: false, error: { error: 'capacity_exceeded', message: 'No node fits.' } },
      ],
    }));
    const { user } = setup([booking(1, 'pending'), booking(2, 'pending'), booking(3, 'pending')], {
      'POST /admin/bulk': bulk,
    });
    await user.click(await screen.findByRole('checkbox', { name: 'Select booking 1' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select booking 3' }));
    const bar = screen.getByRole('region', { name: 'Bulk actions' });
    expect(bar).toHaveTextContent('2 selected');
    await user.click(within(bar).getByRole('button', { name: 'Approve' }));
    await user.click(
      within(screen.getByRole('dialog', { name: 'Approve 2 bookings' })).getByRole('button', {
        name: 'Approve',
      }),
    );
    await waitFor(() =>
      expect(bulk).toHaveBeenCalledWith({ body: { action: 'approve', ids: [1, 3] }, params: {} }),
    );
    expect(await screen.findByText('Approved 1 of 2. #3: No node fits.')).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Bulk actions' })).not.toBeInTheDocument();
  });

  test('bulk reject with a reason on every row of the page', async () => {
    const bulk = vi.fn(({ body }) => ({ results: body.ids.map((id) => ({ id, ok: true })) }));
    const { user } = setup([booking(1, 'pending'), booking(2, 'pending')], {
      'POST /admin/bulk': bulk,
    });
    await user.click(
      await screen.findByRole('checkbox', { name: 'Select all bookings on this page' }),
    );
    await user.click(
      within(screen.getByRole('region', { name: 'Bulk actions' })).getByRole('button', {
        name: 'Reject',
      }),
    );
    const dialog = screen.getByRole('dialog', { name: 'Reject 2 bookings' });
    await user.type(within(dialog).getByRole('textbox', { name: /Reason/ }), 'Over quota');
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));
    await waitFor(() =>
      expect(bulk).toHaveBeenCalledWith({
        body: { action: 'reject', ids: [1, 2], reason: 'Over quota' },
        params: {},
      }),
    );
    expect(await screen.findByText('Rejected 2 of 2.')).toBeInTheDocument();
  });

  test('filters and sorting become query parameters', async () => {
    const { user, list } = setup([booking(1, 'pending')]);
    await screen.findByText('student1');
    expect(list).toHaveBeenLastCalledWith({
      body: undefined,
      params: { sort: 'created_at', order: 'desc', page: 1, per_page: 20 },
    });
    await user.selectOptions(screen.getByLabelText('Status'), 'pending');
    await user.selectOptions(screen.getByLabelText('Node'), '1');
    await user.type(screen.getByLabelText('User'), 'stud');
    await user.click(screen.getByRole('button', { name: /^When/ }));
    await waitFor(() =>
      expect(list).toHaveBeenLastCalledWith({
        body: undefined,
        params: {
          status: 'pending',
          agent_id: '1',
          q: 'stud',
          sort: 'start_time',
          order: 'asc',
          page: 1,
          per_page: 20,
        },
      }),
    );
    expect(screen.getByRole('columnheader', { name: /When/ })).toHaveAttribute(
      'aria-sort',
      'ascending',
    );
    await user.click(screen.getByRole('button', { name: /^When/ }));
    expect(screen.getByRole('columnheader', { name: /When/ })).toHaveAttribute(
      'aria-sort',
      'descending',
    );
  });

  test('paginates', async () => {
    const list = vi.fn(({ params }) =>
      page([booking(params.page, 'pending')], { total: 45, page: params.page }),
    );
    routeApi(api, { 'GET /admin/bookings': list });
    const { user } = renderWithProviders(<BookingsTable agents={agents} />, { user: admin });
    expect(await screen.findByText('Page 1 of 3')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('student2')).toBeInTheDocument();
    expect(screen.getByText('Page 2 of 3')).toBeInTheDocument();
  });

  test('shows an empty state for filters that match nothing', async () => {
    const { user } = setup([]);
    expect(await screen.findByText('No bookings yet')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Status'), 'failed');
    expect(await screen.findByText('No bookings match these filters')).toBeInTheDocument();
  });
});

test('summariseBulk counts successes and names failures', () => {
  expect(summariseBulk('extend', [{ id: 1, ok: true }])).toEqual({
    ok: 1,
    failed: 0,
    text: 'Extended 1 of 1.',
  });
  expect(
    summariseBulk('reject', [{ id: 4, ok: false, error: { error: 'invalid_transition' } }]).text,
  ).toBe('Rejected 0 of 1. #4: invalid_transition');
});
