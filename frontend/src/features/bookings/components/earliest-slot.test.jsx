import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { formatDateTime } from '@/lib/format';
import { optionsFixture, routeApi } from '@/test/mock-api';
import { renderWithProviders, student } from '@/test/utils';
import { BookingForm } from './booking-form';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

// vitest runs with TZ=Europe/Berlin (UTC+1 in winter).
const NOW = new Date('2026-11-27T08:00:00Z').getTime();
const EARLIEST = '2026-12-01T13:00:00+00:00'; // Tue 1 Dec, 14:00 in Berlin
const AFTER_CHOSEN = '2026-11-28T15:30:00+00:00'; // Sat 28 Nov, 16:30

function setup({ available }) {
  const slots = vi.fn(({ body }) => ({
    complete: true,
    windows: body.not_before
      ? [{ start_time: AFTER_CHOSEN, end_time: AFTER_CHOSEN, repack: false }]
      : [{ start_time: EARLIEST, end_time: EARLIEST, repack: true }],
  }));
  routeApi(api, {
    'GET /student/options': optionsFixture,
    'POST /student/availability': { available, nodes_fitting: available ? 1 : 0 },
    'POST /student/slots': slots,
  });
  renderWithProviders(<BookingForm now={NOW} />, { user: student });
  return { slots };
}

describe('the earliest slot', () => {
  test('one click on "Earliest" fills in its date and start time', async () => {
    const { slots } = setup({ available: true });
    const offer = await screen.findByTestId('earliest-slot');
    const button = within(offer).getByRole('button', { name: formatDateTime(EARLIEST) });
    expect(slots.mock.calls[0][0].body).toMatchObject({ duration: expect.any(Number) });
    expect(slots.mock.calls[0][0].body.not_before).toBeUndefined();
    fireEvent.click(button);
    expect(screen.getByLabelText(/^Date/)).toHaveValue('2026-12-01');
    expect(screen.getByLabelText(/^Start time/)).toHaveValue('14:00');
    expect(screen.queryByText(/Nearest that fit/)).not.toBeInTheDocument();
  });

  test('when the chosen window has no room, the nearest windows after it are offered', async () => {
    const { slots } = setup({ available: false });
    fireEvent.change(await screen.findByLabelText(/^Date/), { target: { value: '2026-11-28' } });
    fireEvent.change(screen.getByLabelText(/^Start time/), { target: { value: '10:00' } });
    const nearest = await screen.findByText(/Nearest that fit/, {}, { timeout: 3000 });
    await waitFor(() =>
      expect(
        slots.mock.calls.some(([{ body }]) => body.not_before === '2026-11-28T09:00:00+00:00'),
      ).toBe(true),
    );
    fireEvent.click(
      within(nearest.parentElement).getByRole('button', { name: formatDateTime(AFTER_CHOSEN) }),
    );
    expect(screen.getByLabelText(/^Start time/)).toHaveValue('16:30');
  });
});
