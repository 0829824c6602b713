import { screen, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { routeApi } from '@/test/mock-api';
import { page, renderWithProviders, student } from '@/test/utils';
import { QuotaCard, autoApprovalText, perBookingLimits } from './quota-card';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn() },
}));

const NO_LIMITS = {
  max_hours_per_week: null,
  max_gpu_hours_per_week: null,
  max_open_bookings: null,
  max_cpu_cores: null,
  max_memory_gb: null,
  max_gpu_count: null,
  max_duration_hours: null,
  auto_approve: false,
  auto_max_cpu_cores: null,
  auto_max_memory_gb: null,
  auto_max_gpu_count: null,
  auto_max_duration_hours: null,
};

const usage = (policy, extra = {}) => ({
  policy: { id: 2, name: 'Thesis group', is_default: false, ...NO_LIMITS, ...policy },
  week_start: '2026-11-30T00:00:00+00:00',
  week_end: '2026-12-07T00:00:00+00:00',
  hours_used: 6,
  gpu_hours_used: 6,
  open_bookings: 2,
  auto_approval: false,
  ...extra,
});

function setup(answer, requests = []) {
  routeApi(api, {
    'GET /student/usage': answer,
    'GET /student/extension-requests': page(requests),
  });
  return renderWithProviders(<QuotaCard />, { user: student });
}

describe('quota card', () => {
  test('shows weekly hours, GPU-hours and open bookings against the policy', async () => {
    setup(usage({ max_hours_per_week: 10, max_gpu_hours_per_week: 10, max_open_bookings: 3 }));
    expect(await screen.findByText('Policy: Thesis group')).toBeInTheDocument();
    const hours = screen.getByRole('meter', { name: 'Hours booked this week in use' });
    expect(hours).toHaveAttribute('aria-valuenow', '6');
    expect(hours).toHaveAttribute('aria-valuemax', '10');
    expect(screen.getByRole('meter', { name: 'GPU-hours this week in use' })).toHaveAttribute(
      'aria-valuemax',
      '10',
    );
    expect(screen.getByRole('meter', { name: 'Open bookings in use' })).toHaveAttribute(
      'aria-valuenow',
      '2',
    );
    expect(screen.getByTestId('auto-approval-note')).toHaveTextContent(
      'Every booking waits for an admin',
    );
  });

  test('without weekly limits it says so and shows the per-booking maxima', async () => {
    setup(usage({ max_cpu_cores: 4, max_memory_gb: 16, max_gpu_count: 0, max_duration_hours: 8 }));
    expect(await screen.findByText(/No weekly limits/)).toHaveTextContent('6 h booked');
    expect(screen.queryByRole('meter')).not.toBeInTheDocument();
    expect(screen.getByText(/Per booking:/).parentElement).toHaveTextContent(
      'up to 4 cores · 16 GB · no GPU · 8 h',
    );
  });

  test('says which bookings are approved at once', async () => {
    setup(
      usage(
        {
          auto_approve: true,
          auto_max_cpu_cores: 4,
          auto_max_gpu_count: 0,
          auto_max_duration_hours: 8,
        },
        { auto_approval: true },
      ),
    );
    expect(await screen.findByTestId('auto-approval-note')).toHaveTextContent(
      'Bookings within ≤ 4 cores, ≤ 8 h, no GPU are approved at once',
    );
  });

  test('shows what became of the latest requests for more time', async () => {
    setup(usage({}), [
      {
        id: 3,
        booking_id: 9,
        status: 'pending',
        requested_end: '2026-12-01T15:00:00+00:00',
        review_reason: '6.0 of 10 hours booked this week; this booking needs 8.',
      },
      {
        id: 2,
        booking_id: 8,
        status: 'rejected',
        requested_end: '2026-12-01T12:00:00+00:00',
        decision_reason: 'The node is booked after you.',
      },
    ]);
    const pending = await screen.findByRole('listitem', { name: 'Extension request 3' });
    expect(pending).toHaveTextContent('pending: booking #9');
    expect(pending).toHaveTextContent('Waiting for an admin: 6.0 of 10 hours');
    expect(
      within(screen.getByRole('listitem', { name: 'Extension request 2' })).getByText(
        'The node is booked after you.',
      ),
    ).toBeInTheDocument();
  });
});

describe('quota texts', () => {
  test('per-booking limits leave out what the policy does not limit', () => {
    expect(perBookingLimits({ ...NO_LIMITS, max_gpu_count: 2 })).toBe('2 GPUs');
    expect(perBookingLimits(NO_LIMITS)).toBe('');
  });

  test('auto-approval is only described when the lab and the policy have it on', () => {
    expect(autoApprovalText(usage({ auto_approve: true }, { auto_approval: false }))).toBeNull();
    expect(autoApprovalText(usage({ auto_approve: true }, { auto_approval: true }))).toMatch(
      /within your policy/,
    );
  });
});
