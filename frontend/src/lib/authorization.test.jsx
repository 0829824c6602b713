import { screen, waitFor } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { AppRoutes } from '@/app/router';
import { api } from '@/lib/api-client';
import { apiError, routeApi } from '@/test/mock-api';
import { admin, page, renderWithProviders, student } from '@/test/utils';

// The real route table and the real API client logic, with only the HTTP calls stubbed.
vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const options = {
  images: [{ name: 'jupyter', port: 8888 }],
  default_image: 'jupyter',
  limits: {
    max_cpu_cores: 16,
    max_memory_gb: 64,
    max_gpu_count: 1,
    max_duration_hours: 72,
    horizon_days: 30,
  },
  presets: [],
};
const stats = {
  bookings: {
    pending: 0,
    approved: 0,
    active: 0,
    completed: 0,
    rejected: 0,
    cancelled: 0,
    failed: 0,
  },
  agents: { total: 0, online: 0, offline: 0, maintenance: 0 },
  utilisation_now: { cpu: 0, memory: 0, gpu: 0 },
  utilisation_next_7_days: [],
};

function stubEverything(user) {
  routeApi(api, {
    'GET /auth/me': user,
    'GET /student/options': options,
    'GET /student/bookings': page([]),
    'GET /student/profile': { user, booking_counts: {} },
    'POST /student/availability': { available: true, nodes_fitting: 1 },
    'GET /admin/stats': stats,
    'GET /admin/agents': { items: [] },
    'GET /admin/bookings': page([]),
    'GET /admin/users': page([user]),
    'GET /admin/scheduler': {
      enabled: false,
      leader: null,
      this_process: { holder: null, is_leader: false },
      jobs: [],
      next_actions: { starts: [], stops: [], wakes: [] },
    },
    'POST /auth/logout': { message: 'bye' },
  });
}

const location = () => screen.getByTestId('location').textContent;

describe('role guard', () => {
  test.each([
    ['/admin', student, '/'],
    ['/admin/bookings', student, '/'],
    ['/admin/nodes', student, '/'],
    ['/admin/users', student, '/'],
    ['/', admin, '/admin'],
    ['/login', admin, '/admin'],
    ['/login', student, '/'],
    ['/register', student, '/'],
  ])('%s as %s goes to %s', async (route, user, expected) => {
    stubEverything(user);
    renderWithProviders(null, { route, user, routes: <AppRoutes /> });
    await waitFor(() => expect(location()).toBe(expected));
  });

  test.each(['/', '/admin', '/admin/bookings', '/admin/users'])(
    'signed out, %s goes to /login',
    async (route) => {
      renderWithProviders(null, { route, routes: <AppRoutes /> });
      await waitFor(() => expect(location()).toBe('/login'));
      expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    },
  );

  test('a student never sees the admin navigation', async () => {
    stubEverything(student);
    renderWithProviders(null, { route: '/admin', user: student, routes: <AppRoutes /> });
    await screen.findByRole('heading', { name: /Hi alice/ });
    expect(screen.queryByRole('navigation', { name: 'Admin sections' })).not.toBeInTheDocument();
    expect(api.get).not.toHaveBeenCalledWith('/admin/stats', expect.anything());
    expect(api.get.mock.calls.every(([url]) => !url.startsWith('/admin'))).toBe(true);
  });

  test('an admin lands on the admin overview with its navigation', async () => {
    stubEverything(admin);
    renderWithProviders(null, { route: '/', user: admin, routes: <AppRoutes /> });
    expect(await screen.findByRole('heading', { name: 'Lab overview' })).toBeInTheDocument();
    expect(screen.getAllByRole('navigation', { name: 'Admin sections' }).length).toBeGreaterThan(0);
    expect(await screen.findByText('The scheduler is off')).toBeInTheDocument();
  });

  test('an admin reaches the Users page from its tab', async () => {
    stubEverything(admin);
    const { user } = renderWithProviders(null, {
      route: '/admin',
      user: admin,
      routes: <AppRoutes />,
    });
    await screen.findByRole('heading', { name: 'Lab overview' });
    await user.click(screen.getAllByRole('link', { name: 'Users' })[0]);
    expect(await screen.findByRole('heading', { name: 'Users', level: 1 })).toBeInTheDocument();
    expect(location()).toBe('/admin/users');
    expect(await screen.findByText('root@uni.example', { selector: 'td' })).toBeInTheDocument();
  });
});

describe('session end', () => {
  test('signing out calls the API, clears the tokens and shows the login page', async () => {
    stubEverything(student);
    const { user } = renderWithProviders(null, {
      route: '/',
      user: student,
      routes: <AppRoutes />,
    });
    await screen.findByRole('heading', { name: /Hi alice/ });
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(location()).toBe('/login'));
    expect(api.post).toHaveBeenCalledWith('/auth/logout', { refresh_token: 'refresh-alice' });
    expect(localStorage.getItem('booking.access_token')).toBeNull();
    expect(screen.getByText('You have signed out.')).toBeInTheDocument();
  });

  test('signing out still ends the local session when the API call fails', async () => {
    stubEverything(student);
    api.post.mockImplementation(async (url) => {
      if (url === '/auth/logout') throw apiError(500, 'internal', 'boom');
      return { data: {} };
    });
    const { user } = renderWithProviders(null, {
      route: '/',
      user: student,
      routes: <AppRoutes />,
    });
    await screen.findByRole('heading', { name: /Hi alice/ });
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(location()).toBe('/login'));
  });
});
