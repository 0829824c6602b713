import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { tooManyMessage } from '@/lib/api-client';
import { endingSoon, outcome, SessionEndingBanner } from './session-ending-banner';

const MIN = 60_000;
const active = (id, minutesLeft, actions = ['extend']) => ({
  id,
  status: 'active',
  actions,
  end_time: new Date(Date.now() + minutesLeft * MIN).toISOString(),
});

describe('end-of-session banner', () => {
  test('warns from 30 minutes before the end, soonest first, not earlier', () => {
    const now = Date.now();
    const list = [
      active(1, 45),
      active(2, 25),
      active(3, 8),
      { ...active(4, 5), status: 'approved' },
    ];
    expect(endingSoon(list, now).map((s) => s.booking.id)).toEqual([3, 2]);
  });

  test('shows the time left and asks for more time through the extend action', async () => {
    const extend = vi.fn().mockResolvedValue({ status: 'pending' });
    render(<SessionEndingBanner bookings={[active(7, 9.5)]} extend={extend} />);
    expect(screen.getByRole('alert')).toHaveTextContent('Your session #7 ends in 10 min');
    await userEvent.click(screen.getByRole('button', { name: 'Extend 30 min' }));
    await waitFor(() => expect(extend).toHaveBeenCalledWith(expect.objectContaining({ id: 7 })));
    expect(await screen.findByText(/Asked an admin for 30 more minutes/)).toBeInTheDocument();
  });

  test('says a request for more time is waiting instead of offering another', () => {
    const waiting = { id: 3, minutes: 30, requested_end: null, requested_at: null };
    render(
      <SessionEndingBanner bookings={[{ ...active(9, 12, []), pending_extension: waiting }]} />,
    );
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByRole('status', { name: 'Extension request' })).toHaveTextContent(
      'More time requested (+30 min) — waiting for an admin',
    );
  });

  test('offers no extend button when the booking does not allow it', () => {
    render(<SessionEndingBanner bookings={[active(8, 20, [])]} />);
    expect(screen.getByRole('alert')).toHaveTextContent('ends in 20 min');
    expect(screen.queryByRole('button')).toBeNull();
  });

  test('renders nothing when no session ends within 30 minutes', () => {
    const { container } = render(<SessionEndingBanner bookings={[active(9, 31)]} />);
    expect(container).toBeEmptyDOMElement();
  });
});

test('says when an extension was granted at once', () => {
  expect(outcome({ status: 'granted', requested_end: '2026-12-01T10:30:00+00:00' })).toMatch(
    /^Extended: now ends at /,
  );
});

describe('429 message', () => {
  test('says when to try again from Retry-After', () => {
    const now = new Date('2026-12-01T09:00:00').getTime();
    expect(tooManyMessage('42', now)).toMatch(
      /^Too many attempts\. Try again in 42 seconds \(at 0?9:00/,
    );
    expect(tooManyMessage('600', now)).toMatch(/Try again in 10 minutes \(at 0?9:10/);
    expect(tooManyMessage(undefined, now)).toBe('Too many attempts. Wait a minute and try again.');
  });
});
