import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, bookingFixture, routeApi } from '@/test/mock-api';
import { page, renderWithProviders, student } from '@/test/utils';
import { MyBookings } from './my-bookings';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
const HOUR = 3_600_000;

const booking = (id, status, extra) => bookingFixture(id, status, { role: 'student', ...extra });

function setup(items, handlers = {}) {
  const list = vi.fn(() => page(items));
  routeApi(api, { 'GET /student/bookings': list, ...handlers });
  return { ...renderWithProviders(<MyBookings />, { user: student }), list };
}

const card = (id) => screen.getByRole('listitem', { name: `Booking ${id}` });

describe('my bookings', () => {
  test('shows an empty state', async () => {
    setup([]);
    expect(await screen.findByText('No bookings yet')).toBeInTheDocument();
  });

  test('shows each status as a badge', async () => {
    const statuses = [
      'pending',
      'approved',
      'active',
      'completed',
      'rejected',
      'cancelled',
      'failed',
    ];
    setup(statuses.map((s, i) => booking(i + 1, s)));
    await screen.findByRole('listitem', { name: 'Booking 1' });
    statuses.forEach((status, i) =>
      expect(within(card(i + 1)).getByText(status)).toBeInTheDocument(),
    );
  });

  test('a request held for an approval round says when the round decides it', async () => {
    const decidedBy = iso(Date.now() + 5 * HOUR);
    setup([
      booking(1, 'pending', { decided_by: decidedBy }),
      booking(2, 'pending', { decided_by: null }),
    ]);
    expect(
      await within(await screen.findByRole('listitem', { name: 'Booking 1' })).findByText(
        /Waiting for the approval round: decided by/,
      ),
    ).toBeInTheDocument();
    expect(within(card(2)).queryByText(/approval round/)).not.toBeInTheDocument();
  });

  test('counts down to the start of an upcoming booking and to the end of an active one', async () => {
    const now = Date.now();
    setup([
      booking(1, 'approved', { agent_name: 'node-a' }),
      booking(2, 'active', {
        start_time: iso(now - HOUR),
        end_time: iso(now + 45 * 60_000 + 30_000),
      }),
    ]);
    expect(
      await within(await screen.findByRole('listitem', { name: 'Booking 1' })).findByText(
        /starts in/,
      ),
    ).toHaveTextContent(/starts in 2h 00m/);
    expect(within(card(1)).getByText(/on node-a/)).toBeInTheDocument();
    expect(within(card(2)).getByText(/ends in/)).toHaveTextContent(/ends in 45m \d\ds/);
  });

  test('an active web session offers Connect, through the session URL', async () => {
    setup([booking(5, 'active')], {
      'GET /student/bookings/5/session': {
        booking_id: 5,
        state: 'running',
        image: 'Jupyter notebook',
        http: true,
        connect_url: 'http://node-a.lab:32768/sessions/5/?token=s3cret',
        host: null,
        port: null,
        password: null,
        starts_at: iso(Date.now() - HOUR),
        ends_at: iso(Date.now() + HOUR),
      },
    });
    const link = await screen.findByRole('link', { name: 'Connect' });
    expect(link).toHaveAttribute('href', '/sessions/5/');
    expect(link).toHaveAttribute('target', '_blank');
    expect(within(card(5)).getByText(/Jupyter notebook · until/)).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('s3cret');
  });

  test('an active session that is not a web app shows its address and a password to copy', async () => {
    const { user } = setup([booking(6, 'active')], {
      'GET /student/bookings/6/session': {
        booking_id: 6,
        state: 'running',
        image: 'SSH',
        http: false,
        connect_url: null,
        host: 'node-a.lab',
        port: 20022,
        password: 'pw-123',
        starts_at: iso(Date.now() - HOUR),
        ends_at: iso(Date.now() + HOUR),
      },
    });
    expect(await screen.findByText('node-a.lab:20022')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /Copy password/ }));
    expect(await navigator.clipboard.readText()).toBe('pw-123');
  });

  test('a running web session without its link yet says it is starting, never a blank address', async () => {
    setup([booking(7, 'active')], {
      'GET /student/bookings/7/session': {
        booking_id: 7,
        state: 'running',
        image: 'JupyterLab',
        http: true,
        connect_url: null,
        host: null,
        port: null,
        password: null,
        starts_at: iso(Date.now() - HOUR),
        ends_at: iso(Date.now() + HOUR),
      },
    });
    expect(await screen.findByText(/its link appears here in a moment/)).toBeInTheDocument();
    expect(within(card(7)).getByText(/its link appears here in a moment/)).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('null');
    expect(screen.queryByRole('button', { name: /Copy address/ })).toBeNull();
  });

  test('shows rejection and failure reasons', async () => {
    setup([
      booking(1, 'rejected', { rejection_reason: 'Lab closed for maintenance' }),
      booking(2, 'failed', { failure_reason: 'Image pull failed' }),
    ]);
    expect(await screen.findByText('Lab closed for maintenance')).toBeInTheDocument();
    expect(screen.getByText('Image pull failed')).toBeInTheDocument();
  });

  test('a booking offers Cancel only when the API lists it in actions', async () => {
    setup([
      booking(1, 'pending'),
      booking(2, 'approved', { actions: [] }),
      booking(3, 'active', { actions: ['cancel'] }),
      booking(4, 'completed'),
    ]);
    await screen.findByRole('listitem', { name: 'Booking 1' });
    const cancel = (id) => within(card(id)).queryByRole('button', { name: 'Cancel' });
    expect(cancel(1)).toBeInTheDocument();
    expect(cancel(2)).not.toBeInTheDocument();
    expect(cancel(3)).toBeInTheDocument();
    expect(cancel(4)).not.toBeInTheDocument();
  });

  test('cancelling asks for confirmation first and keeping it calls nothing', async () => {
    const cancel = vi.fn(() => booking(1, 'cancelled'));
    const { user } = setup([booking(1, 'pending')], { 'POST /student/bookings/1/cancel': cancel });
    await user.click(
      within(await screen.findByRole('listitem', { name: 'Booking 1' })).getByRole('button', {
        name: 'Cancel',
      }),
    );
    const dialog = screen.getByRole('dialog', { name: 'Cancel this booking?' });
    expect(within(dialog).getByRole('button', { name: 'Keep it' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(cancel).not.toHaveBeenCalled();
  });

  test('confirming cancels optimistically and calls the API', async () => {
    let items = [booking(1, 'pending')];
    const cancel = vi.fn(() => {
      items = [booking(1, 'cancelled')];
      return items[0];
    });
    const { user } = setup(items, {
      'GET /student/bookings': () => page(items),
      'POST /student/bookings/1/cancel': cancel,
    });
    await user.click(
      within(await screen.findByRole('listitem', { name: 'Booking 1' })).getByRole('button', {
        name: 'Cancel',
      }),
    );
    await user.click(screen.getByRole('button', { name: 'Yes, cancel booking' }));
    expect(within(card(1)).getByText('cancelled')).toBeInTheDocument();
    expect(within(card(1)).queryByRole('button', { name: 'Cancel' })).not.toBeInTheDocument();
    await waitFor(() => expect(cancel).toHaveBeenCalled());
    expect(await screen.findByText('Booking #1 cancelled.')).toBeInTheDocument();
  });

  test('a refused cancel restores the booking and shows the reason', async () => {
    const { user } = setup([booking(1, 'approved')], {
      'POST /student/bookings/1/cancel': () => {
        throw apiError(409, 'invalid_transition', 'The booking has already started.');
      },
    });
    await user.click(
      within(await screen.findByRole('listitem', { name: 'Booking 1' })).getByRole('button', {
        name: 'Cancel',
      }),
    );
    await user.click(screen.getByRole('button', { name: 'Yes, cancel booking' }));
    expect(
      await screen.findByText('Could not cancel: The booking has already started.'),
    ).toBeInTheDocument();
    await waitFor(() => expect(within(card(1)).getByText('approved')).toBeInTheDocument());
  });

  test('filters by status', async () => {
    const { user, list } = setup([booking(1, 'pending')]);
    await screen.findByRole('listitem', { name: 'Booking 1' });
    await user.selectOptions(screen.getByLabelText('Show'), 'active');
    await waitFor(() =>
      expect(list).toHaveBeenLastCalledWith({
        body: undefined,
        params: { status: 'active', page: 1, per_page: 10 },
      }),
    );
  });
});
