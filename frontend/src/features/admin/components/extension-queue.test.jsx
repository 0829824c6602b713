import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { routeApi } from '@/test/mock-api';
import { admin, page, renderWithProviders } from '@/test/utils';
import { ExtensionQueue } from './extension-queue';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn() },
}));

const request = (id, extra = {}) => ({
  id,
  booking_id: 40 + id,
  username: `student${id}`,
  status: 'pending',
  previous_end: '2026-12-01T12:00:00+00:00',
  requested_end: '2026-12-01T14:00:00+00:00',
  reason: 'training is slower than planned',
  review_reason: 'The default policy allows bookings of at most 3 hours; this one would last 4.',
  booking: { id: 40 + id, agent_name: 'node-a' },
  ...extra,
});

describe('extension queue', () => {
  test('is hidden when no request waits', async () => {
    const list = vi.fn(() => page([]));
    routeApi(api, { 'GET /admin/extension-requests': list });
    renderWithProviders(<ExtensionQueue />, { user: admin });
    await waitFor(() => expect(list).toHaveBeenCalled());
    expect(screen.queryByText('Requests for more time')).not.toBeInTheDocument();
  });

  test('shows each pending request with why it was not granted, and approves one', async () => {
    const approve = vi.fn(() => request(1, { status: 'approved' }));
    routeApi(api, {
      'GET /admin/extension-requests': ({ params }) =>
        params.status === 'pending' ? page([request(1)]) : page([]),
      'POST /admin/extension-requests/1/approve': approve,
    });
    const { user } = renderWithProviders(<ExtensionQueue />, { user: admin });
    const item = await screen.findByRole('listitem', { name: 'Extension request 1' });
    expect(item).toHaveTextContent('student1 · booking #41 on node-a');
    expect(item).toHaveTextContent(
      'Not granted at once: The default policy allows bookings of at most 3 hours',
    );
    await user.click(within(item).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(approve).toHaveBeenCalledWith(expect.objectContaining({ body: { note: null } })),
    );
  });

  test('a rejection needs a reason, which is sent', async () => {
    const reject = vi.fn(({ body }) =>
      request(2, { status: 'rejected', decision_reason: body.reason }),
    );
    routeApi(api, {
      'GET /admin/extension-requests': page([request(2)]),
      'POST /admin/extension-requests/2/reject': reject,
    });
    const { user } = renderWithProviders(<ExtensionQueue />, { user: admin });
    const item = await screen.findByRole('listitem', { name: 'Extension request 2' });
    await user.click(within(item).getByRole('button', { name: 'Reject' }));
    const confirm = screen.getByRole('button', { name: 'Reject request' });
    expect(confirm).toBeDisabled();
    await user.type(screen.getByLabelText(/^Reason/), 'The node is booked after you.');
    await user.click(confirm);
    await waitFor(() =>
      expect(reject).toHaveBeenCalledWith(
        expect.objectContaining({ body: { reason: 'The node is booked after you.' } }),
      ),
    );
  });
});
