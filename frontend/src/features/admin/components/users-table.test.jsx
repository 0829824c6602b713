import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, routeApi } from '@/test/mock-api';
import { formatDate } from '@/lib/format';
import { admin, renderWithProviders } from '@/test/utils';
import { UsersTable } from './users-table';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const account = (id, username, extra = {}) => ({
  id,
  username,
  email: `${username}@uni.example`,
  role: 'student',
  is_active: true,
  created_at: '2026-10-01T08:00:00+00:00',
  ...extra,
});

const everyone = [
  account(admin.id, admin.username, { role: 'admin', email: admin.email }),
  account(7, 'alice'),
  account(8, 'bob', { is_active: false }),
];

/** Answers GET /admin/users like the API: filtered by q, paged by page/per_page. */
function usersApi(all) {
  return vi.fn(({ params }) => {
    const q = (params.q || '').toLowerCase();
    const matching = all.filter((u) => !q || `${u.username} ${u.email}`.includes(q));
    const start = (params.page - 1) * params.per_page;
    return {
      items: matching.slice(start, start + params.per_page),
      total: matching.length,
      page: params.page,
      per_page: params.per_page,
    };
  });
}

function setup(handlers = {}, all = everyone) {
  const list = usersApi(all);
  routeApi(api, { 'GET /admin/users': list, ...handlers });
  return { ...renderWithProviders(<UsersTable />, { user: admin }), list };
}

const row = (username) => screen.getByRole('row', { name: new RegExp(`^${username}`) });

describe('users table', () => {
  test('lists accounts with role, status and created date', async () => {
    setup();
    await screen.findByText('alice@uni.example', { selector: 'td' });
    expect(within(row('alice')).getAllByText('student')[0]).toBeInTheDocument();
    expect(within(row('alice')).getByText('Active')).toBeInTheDocument();
    expect(
      within(row('alice')).getByText(formatDate('2026-10-01T08:00:00+00:00'), { selector: 'td' }),
    ).toBeInTheDocument();
    expect(within(row('bob')).getByText('Disabled')).toBeInTheDocument();
    expect(within(row('bob')).getByRole('button', { name: 'Enable bob' })).toBeInTheDocument();
    expect(screen.getByText('3 accounts in total')).toBeInTheDocument();
  });

  test('the signed-in admin cannot disable their own account', async () => {
    setup();
    await screen.findByRole('button', { name: 'Disable alice' });
    expect(within(row('root')).getByText('you')).toBeInTheDocument();
    expect(within(row('root')).queryByRole('button')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Disable root' })).not.toBeInTheDocument();
  });

  test('searches by username or email after typing stops', async () => {
    const { user, list } = setup();
    await screen.findByRole('button', { name: 'Disable alice' });
    await user.type(screen.getByLabelText('Search by username or email'), 'bo');
    expect(await screen.findByText('1 account match')).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: /^alice/ })).not.toBeInTheDocument();
    expect(row('bob')).toBeInTheDocument();
    // Debounced: one request for the whole word, none for "b".
    expect(list.mock.calls.map(([{ params }]) => params.q)).toEqual([undefined, 'bo']);

    await user.clear(screen.getByLabelText('Search by username or email'));
    await user.type(screen.getByLabelText('Search by username or email'), 'nobody');
    expect(await screen.findByText('No accounts match “nobody”')).toBeInTheDocument();
  });

  test('pages through the accounts', async () => {
    const many = Array.from({ length: 25 }, (_, i) => account(100 + i, `user${i + 1}`));
    const { user, list } = setup({}, many);
    await screen.findByText('user20', { selector: 'span' });
    expect(screen.getByText('Page 1 of 2')).toBeInTheDocument();
    expect(screen.queryByText('user21')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('user25', { selector: 'span' })).toBeInTheDocument();
    expect(screen.getByText('Page 2 of 2')).toBeInTheDocument();
    expect(screen.queryByText('user1', { selector: 'span' })).not.toBeInTheDocument();
    expect(list.mock.lastCall[0].params).toEqual({ q: undefined, page: 2, per_page: 20 });
  });

  test('disabling asks first, warns about bookings, and updates at once', async () => {
    let users = everyone;
    let release;
    const gate = new Promise((r) => (release = r));
    const disable = vi.fn(async ({ body }) => {
      await gate; // hold the answer to see the optimistic state
      users = users.map((u) => (u.id === 7 ? { ...u, is_active: body.is_active } : u));
      return users[1];
    });
    const { user } = setup({
      'GET /admin/users': ({ params }) => usersApi(users)({ params }),
      'POST /admin/users/7/status': disable,
    });
    await user.click(await screen.findByRole('button', { name: 'Disable alice' }));
    const dialog = screen.getByRole('dialog', { name: 'Disable alice?' });
    expect(dialog).toHaveTextContent('pending and approved bookings will be cancelled');

    // Keeping the account changes nothing.
    await user.click(within(dialog).getByRole('button', { name: 'Keep active' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(disable).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Disable alice' }));
    await user.click(
      within(screen.getByRole('dialog')).getByRole('button', { name: 'Disable account' }),
    );
    expect(await within(row('alice')).findByText('Disabled')).toBeInTheDocument();
    expect(disable).toHaveBeenCalledTimes(1); // still unanswered: the change is optimistic
    release();
    await waitFor(() =>
      expect(disable).toHaveBeenCalledWith({ body: { is_active: false }, params: {} }),
    );
    expect(
      await screen.findByText(
        'alice is disabled; their pending and approved bookings were cancelled.',
      ),
    ).toBeInTheDocument();
    expect(await within(row('alice')).findByRole('button', { name: 'Enable alice' })).toBeEnabled();
  });

  test('rolls back and shows the API message when disabling fails', async () => {
    let refused = false;
    const list = usersApi(everyone);
    const { user } = setup({
      // After the refusal the list never answers again: only the rollback can restore the row.
      'GET /admin/users': (request) => (refused ? new Promise(() => {}) : list(request)),
      'POST /admin/users/7/status': () => {
        refused = true;
        throw apiError(409, 'conflict', 'alice was changed by someone else.');
      },
    });
    await user.click(await screen.findByRole('button', { name: 'Disable alice' }));
    await user.click(
      within(screen.getByRole('dialog')).getByRole('button', { name: 'Disable account' }),
    );
    expect(
      await screen.findByText('Could not disable alice: alice was changed by someone else.'),
    ).toBeInTheDocument();
    expect(within(row('alice')).getByText('Active')).toBeInTheDocument();
    expect(within(row('alice')).getByRole('button', { name: 'Disable alice' })).toBeEnabled();
  });

  test('enabling needs no confirmation', async () => {
    let users = everyone;
    const enable = vi.fn(({ body }) => {
      users = users.map((u) => (u.id === 8 ? { ...u, is_active: body.is_active } : u));
      return users[2];
    });
    const { user } = setup({
      'GET /admin/users': ({ params }) => usersApi(users)({ params }),
      'POST /admin/users/8/status': enable,
    });
    await user.click(await screen.findByRole('button', { name: 'Enable bob' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await within(row('bob')).findByText('Active')).toBeInTheDocument();
    expect(enable).toHaveBeenCalledWith({ body: { is_active: true }, params: {} });
    expect(await screen.findByText('bob can sign in again.')).toBeInTheDocument();
    expect(await within(row('bob')).findByRole('button', { name: 'Disable bob' })).toBeEnabled();
  });
});
