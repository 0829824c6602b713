import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { routeApi } from '@/test/mock-api';
import { admin, renderWithProviders, student } from '@/test/utils';
import { CalendarFeedSettings, LabFeedSettings, NotificationSettings } from './profile-settings';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), put: vi.fn(), patch: vi.fn() },
}));

const prefs = (approved = true) => ({
  email_enabled: true,
  categories: [
    { category: 'approved', label: 'A booking is approved', email: approved },
    { category: 'rejected', label: 'A booking is rejected', email: true },
  ],
});

describe('profile settings', () => {
  test('turns an email category off through the API', async () => {
    const put = vi.fn(() => prefs(false));
    routeApi(api, {
      'GET /student/notifications': () => prefs(),
      'PUT /student/notifications': put,
    });
    renderWithProviders(<NotificationSettings />, { user: student });
    const box = await screen.findByLabelText('A booking is approved');
    expect(box).toBeChecked();
    await userEvent.click(box);
    await waitFor(() => expect(box).not.toBeChecked());
    expect(put).toHaveBeenCalled();
  });

  test('shows a new calendar URL once, absolute, after making it', async () => {
    routeApi(api, {
      'GET /student/calendar-feeds': () => ({ items: [] }),
      'POST /student/calendar-feed': () => ({
        url: '/api/calendar/secret-token.ics',
        feed: { id: 1, scope: 'user' },
      }),
    });
    renderWithProviders(<CalendarFeedSettings />, { user: student });
    await userEvent.click(await screen.findByRole('button', { name: 'Make my calendar URL' }));
    expect(
      await screen.findByText(`${window.location.origin}/api/calendar/secret-token.ics`),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Make a new URL/ })).toBeInTheDocument();
  });

  test("an admin makes the lab's feed URL", async () => {
    const post = vi.fn(() => ({
      url: '/api/calendar/lab-token.ics',
      feed: { id: 2, scope: 'lab' },
    }));
    routeApi(api, { 'POST /admin/calendar-feeds': post });
    renderWithProviders(<LabFeedSettings nodes={[{ id: 3, name: 'gpu1' }]} />, { user: admin });
    await userEvent.click(screen.getByRole('button', { name: /Make a new URL/ }));
    expect(
      await screen.findByText(`${window.location.origin}/api/calendar/lab-token.ics`),
    ).toBeInTheDocument();
    expect(post).toHaveBeenCalledWith(
      expect.objectContaining({ body: { scope: 'lab', agent_id: null } }),
    );
  });
});
