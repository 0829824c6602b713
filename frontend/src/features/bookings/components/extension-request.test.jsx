import { screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, bookingFixture, routeApi } from '@/test/mock-api';
import { renderWithProviders, student } from '@/test/utils';
import { ExtensionRequestButton } from './extension-request';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn() },
}));

const booking = (status, extra) => bookingFixture(4, status, { role: 'student', ...extra });

function setup(b, answer) {
  const extend = vi.fn(answer);
  routeApi(api, { 'POST /student/bookings/4/extend': extend });
  return {
    ...renderWithProviders(<ExtensionRequestButton booking={b} />, { user: student }),
    extend,
  };
}

describe('request more time', () => {
  test('is offered only when the booking allows extend', () => {
    setup(booking('pending'));
    expect(screen.queryByRole('button', { name: 'Request more time' })).not.toBeInTheDocument();
  });

  test('a request waiting for an admin says what was asked instead of offering the button', () => {
    const b = booking('approved', {
      actions: ['cancel'],
      pending_extension: {
        id: 2,
        minutes: 120,
        requested_end: new Date(Date.now() + 6 * 3_600_000).toISOString(),
        requested_at: new Date().toISOString(),
      },
    });
    setup(b);
    expect(screen.queryByRole('button', { name: 'Request more time' })).not.toBeInTheDocument();
    expect(screen.getByRole('status', { name: 'Extension request' })).toHaveTextContent(
      'More time requested (+120 min) — waiting for an admin',
    );
  });

  test('a request that fits is granted at once and says the new end', async () => {
    const b = booking('active');
    const newEnd = new Date(new Date(b.end_time).getTime() + 3_600_000).toISOString();
    const { user, extend } = setup(b, () => ({ id: 1, status: 'granted', requested_end: newEnd }));
    await user.click(screen.getByRole('button', { name: 'Request more time' }));
    await user.selectOptions(screen.getByLabelText('How much longer'), '60');
    await user.type(screen.getByLabelText('Why (optional)'), 'one more epoch');
    await user.click(screen.getByRole('button', { name: 'Ask for 1 hour' }));
    expect(await screen.findByRole('status', { name: 'Outcome' })).toHaveTextContent(
      /^Granted: your booking now ends at/,
    );
    expect(extend).toHaveBeenCalledWith(
      expect.objectContaining({ body: { minutes: 60, reason: 'one more epoch' } }),
    );
  });

  test('a request beyond the policy goes to the admins and says why', async () => {
    const { user } = setup(booking('approved'), () => ({
      id: 2,
      status: 'pending',
      review_reason:
        'The default policy allows bookings of at most 4 hours; this one would last 5.',
    }));
    await user.click(screen.getByRole('button', { name: 'Request more time' }));
    await user.click(screen.getByRole('button', { name: 'Ask for 30 minutes' }));
    expect(await screen.findByRole('status', { name: 'Outcome' })).toHaveTextContent(
      'Sent to the admins: The default policy allows bookings of at most 4 hours',
    );
  });

  test('the answer stays open when the booking then shows the request waiting', async () => {
    const b = booking('approved');
    const waiting = {
      ...b,
      actions: ['cancel'],
      pending_extension: {
        id: 2,
        minutes: 30,
        requested_end: b.end_time,
        requested_at: new Date().toISOString(),
      },
    };
    // The booking as the list shows it: refetched after the request, now waiting.
    function Refetched() {
      const [shown, setShown] = useState(b);
      return (
        <>
          <ExtensionRequestButton booking={shown} />
          <button type="button" onClick={() => setShown(waiting)}>
            refetch
          </button>
        </>
      );
    }
    routeApi(api, {
      'POST /student/bookings/4/extend': () => ({
        id: 2,
        status: 'pending',
        review_reason:
          'The default policy allows bookings of at most 4 hours; this one would last 5.',
      }),
    });
    const { user } = renderWithProviders(<Refetched />, { user: student });
    await user.click(screen.getByRole('button', { name: 'Request more time' }));
    await user.click(screen.getByRole('button', { name: 'Ask for 30 minutes' }));
    await screen.findByRole('status', { name: 'Outcome' });
    await user.click(screen.getByRole('button', { name: 'refetch', hidden: true }));
    expect(screen.getByRole('status', { name: 'Outcome' })).toHaveTextContent(
      /^Sent to the admins/,
    );
    expect(
      screen.getByRole('status', { name: 'Extension request', hidden: true }),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  test('a request already waiting shows the API message', async () => {
    const { user } = setup(booking('approved'), () => {
      throw apiError(
        409,
        'extension_pending',
        'An extension request for this booking is already waiting for an admin.',
        {
          extension_request_id: 2,
        },
      );
    });
    await user.click(screen.getByRole('button', { name: 'Request more time' }));
    await user.click(screen.getByRole('button', { name: 'Ask for 30 minutes' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('already waiting for an admin');
    expect(alert).not.toHaveTextContent('extension_request_id');
  });
});
