import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, bookingFixture, routeApi } from '@/test/mock-api';
import { admin, page, renderWithProviders } from '@/test/utils';
import { summariseBulk } from './booking-actions';
import { BookingsTable } from './bookings-table';

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

const booking = (id, status, extra) => bookingFixture(id, status, extra);

function setup(items, handlers = {}) {
  const list = vi.fn(() => page(items, { total: items.length }));
  routeApi(api, { 'GET /admin/bookings': list, ...handlers });
  return { ...renderWithProviders(<BookingsTable agents={agents} />, { user: admin }), list };
}

const row = (username) => screen.getByRole('row', { name: new RegExp(username) });

describe('admin bookings table', () => {
  test('each row offers exactly the actions the API lists for it', async () => {
    setup([
      booking(1, 'pending'),
      booking(2, 'active', { agent_name: 'node-a' }),
      booking(3, 'completed'),
      // The window has passed: the API leaves approve out.
      booking(4, 'pending', { actions: ['reject', 'cancel'] }),
      // The status alone decides nothing, and an action the UI does not know is not shown.
      booking(5, 'approved', { actions: ['teleport'] }),
    ]);
    await screen.findByText('student1');
    const buttons = (name) =>
      within(row(name))
        .queryAllByRole('button', { name: /^\w+ booking \d+$/ })
        .map((b) => b.textContent);
    expect(within(row('student1')).getByText('pending')).toBeInTheDocument();
    expect(buttons('student1')).toEqual(['Approve', 'Reject', 'Cancel']);
    expect(buttons('student2')).toEqual(['Extend', 'Cancel']);
    expect(buttons('student3')).toEqual([]);
    expect(buttons('student4')).toEqual(['Reject', 'Cancel']);
    expect(buttons('student5')).toEqual([]);
  });

  test('an admin cancels a pending booking, with a note', async () => {
    const cancel = vi.fn(() => booking(1, 'cancelled'));
    const { user } = setup([booking(1, 'pending')], {
      'POST /admin/bookings/1/cancel': cancel,
    });
    await user.click(await screen.findByRole('button', { name: 'Cancel booking 1' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel booking #1' });
    await user.type(within(dialog).getByLabelText(/Note/), 'Duplicate request');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel booking' }));
    await waitFor(() =>
      expect(cancel).toHaveBeenCalledWith({ body: { reason: 'Duplicate request' }, params: {} }),
    );
    expect(await screen.findByText('Booking #1 cancelled.')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
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

  test('while the API decides, the row shows the new status and no actions; a refusal rolls back', async () => {
    let refuse;
    const { user } = setup([booking(1, 'pending')], {
      'POST /admin/approve/1': () =>
        new Promise((_, reject) => {
          refuse = () =>
            reject(
              apiError(
                409,
                'capacity_exceeded',
                'No node has room for 2 CPU, 4 GB in that window.',
              ),
            );
        }),
    });
    await user.click(await screen.findByRole('button', { name: 'Approve booking 1' }));
    const dialog = screen.getByRole('dialog', { name: 'Approve booking #1' });
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(within(row('student1')).getByText('approved')).toBeInTheDocument());
    expect(
      within(row('student1')).queryAllByRole('button', { name: /^\w+ booking 1$/ }),
    ).toHaveLength(0);
    refuse();
    expect(
      await within(dialog).findByText('No node has room for 2 CPU, 4 GB in that window.'),
    ).toBeInTheDocument();
    await waitFor(() => expect(within(row('student1')).getByText('pending')).toBeInTheDocument());
    expect(
      within(row('student1')).getByRole('button', { name: 'Approve booking 1' }),
    ).toBeInTheDocument();
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
    expect(within(dialog).getByText('Give the student a reason.')).toBeInTheDocument();
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

  test('the bulk bar offers what any selected booking allows and says how many it applies to', async () => {
    const bulk = vi.fn(({ body }) => ({
      results: body.ids.map((id) => ({ id, ok: true, booking: booking(id, 'active') })),
    }));
    const { user } = setup([booking(1, 'pending'), booking(2, 'active'), booking(3, 'completed')], {
      'POST /admin/bulk': bulk,
    });
    await user.click(
      await screen.findByRole('checkbox', { name: 'Select all bookings on this page' }),
    );
    const bar = screen.getByRole('region', { name: 'Bulk actions' });
    expect(bar).toHaveTextContent('3 selected');
    expect(
      within(bar)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Approve 1 of 3', 'Reject 1 of 3', 'Extend 1 of 3', 'Cancel 2 of 3', 'Clear']);
    await user.click(within(bar).getByRole('button', { name: 'Extend 1 of 3' }));
    const dialog = screen.getByRole('dialog', { name: 'Extend booking #2' });
    expect(dialog).toHaveAccessibleDescription(
      /2 selected bookings cannot be extended and are left out\./,
    );
    await user.click(within(dialog).getByRole('button', { name: 'Extend by 60 min' }));
    await waitFor(() =>
      expect(bulk).toHaveBeenCalledWith({
        body: { action: 'extend', ids: [2], minutes: 60 },
        params: {},
      }),
    );
    expect(await screen.findByText('Extended 1 of 1.')).toBeInTheDocument();
  });

  test('bulk cancel sends the bookings that allow it, with the note', async () => {
    const bulk = vi.fn(({ body }) => ({ results: body.ids.map((id) => ({ id, ok: true })) }));
    const { user } = setup([booking(1, 'pending'), booking(2, 'approved'), booking(3, 'failed')], {
      'POST /admin/bulk': bulk,
    });
    await user.click(
      await screen.findByRole('checkbox', { name: 'Select all bookings on this page' }),
    );
    await user.click(
      within(screen.getByRole('region', { name: 'Bulk actions' })).getByRole('button', {
        name: 'Cancel 2 of 3',
      }),
    );
    const dialog = screen.getByRole('dialog', { name: 'Cancel 2 bookings' });
    await user.type(within(dialog).getByLabelText(/Note/), 'Lab closed');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel 2 bookings' }));
    await waitFor(() =>
      expect(bulk).toHaveBeenCalledWith({
        body: { action: 'cancel', ids: [1, 2], reason: 'Lab closed' },
        params: {},
      }),
    );
    expect(await screen.findByText('Cancelled 2 of 2.')).toBeInTheDocument();
  });

  test("the details dialog shows the history and offers the booking's actions", async () => {
    const { user } = setup([booking(2, 'active')], {
      'GET /admin/bookings/2': booking(2, 'active', {
        events: [
          { id: 1, action: 'created', to_status: 'pending', actor: 'student2', created_at: null },
          { id: 2, action: 'start_retry', actor: null, created_at: null },
        ],
      }),
    });
    await user.click(await screen.findByRole('button', { name: 'Details of booking 2' }));
    const details = await screen.findByRole('dialog', { name: 'Booking #2' });
    expect(await within(details).findByText('created')).toBeInTheDocument();
    expect(within(details).getByText('start retry')).toBeInTheDocument();
    expect(
      within(details)
        .getAllByRole('button', { name: /^\w+ booking 2$/ })
        .map((b) => b.textContent),
    ).toEqual(['Extend booking', 'Cancel booking']);
    await user.click(within(details).getByRole('button', { name: 'Extend booking 2' }));
    expect(screen.queryByRole('dialog', { name: 'Booking #2' })).not.toBeInTheDocument();
    expect(screen.getByRole('dialog', { name: 'Extend booking #2' })).toBeInTheDocument();
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
  expect(summariseBulk('cancel', [{ id: 2, ok: true }]).text).toBe('Cancelled 1 of 1.');
});
