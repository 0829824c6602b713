import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, routeApi } from '@/test/mock-api';
import { admin, renderWithProviders } from '@/test/utils';
import { SetPasswordButton } from './set-password-button';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), put: vi.fn(), patch: vi.fn() },
}));

describe('admin sets a password', () => {
  test('posts the new password and closes', async () => {
    const post = vi.fn(() => ({ id: 7, username: 'alice' }));
    routeApi(api, { 'POST /admin/users/7/password': post });
    renderWithProviders(<SetPasswordButton user={{ id: 7, username: 'alice' }} />, { user: admin });
    await userEvent.click(screen.getByRole('button', { name: 'Set password for alice' }));
    const dialog = screen.getByRole('dialog', { name: 'Set a password for alice' });
    await userEvent.type(within(dialog).getByLabelText('New password'), 'fresh-pass-123');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Set password' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(post).toHaveBeenCalledWith(
      expect.objectContaining({ body: { new_password: 'fresh-pass-123' } }),
    );
  });

  test("shows the API's field error next to the password", async () => {
    routeApi(api, {
      'POST /admin/users/7/password': () => {
        throw apiError(422, 'validation_error', 'The request has invalid fields.', {
          new_password: ['Use at least 8 characters.'],
        });
      },
    });
    renderWithProviders(<SetPasswordButton user={{ id: 7, username: 'alice' }} />, { user: admin });
    await userEvent.click(screen.getByRole('button', { name: 'Set password for alice' }));
    await userEvent.type(screen.getByLabelText('New password'), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect(await screen.findByText('Use at least 8 characters.')).toBeInTheDocument();
  });
});
