import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { routeApi } from '@/test/mock-api';
import { renderWithProviders, student } from '@/test/utils';
import { AvailabilityStrip } from './availability-strip';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const START = Date.parse('2026-11-30T23:00:00Z'); // midnight in Berlin (vitest's TZ)
const hours = Array.from({ length: 7 * 24 }, (_, i) => ({
  start_time: new Date(START + i * 3_600_000).toISOString(),
  free_cpu_cores: i === 10 ? 0 : 24,
  free_gpus: i === 10 ? 1 : 2,
}));

describe('the availability strip', () => {
  test('shows the lab totals hour by hour over 7 days, and GPUs on request', async () => {
    routeApi(api, {
      'GET /student/capacity': { total_cpu_cores: 24, total_gpus: 2, hours },
    });
    renderWithProviders(<AvailabilityStrip />, { user: student });
    await screen.findByText('Free in the lab, next 7 days');
    const strip = screen.getByTestId('availability-strip');
    const cells = strip.querySelectorAll('span[title]');
    expect(cells).toHaveLength(7 * 24);
    expect(cells[10].title).toMatch(/0 of 24 cores free/);
    expect(cells[10].className).toContain('bg-rose-300');
    expect(cells[11].className).toContain('bg-emerald-400');
    fireEvent.click(screen.getByRole('button', { name: 'GPUs' }));
    expect(strip.querySelectorAll('span[title]')[10].title).toMatch(/1 of 2 GPUs free/);
  });
});
