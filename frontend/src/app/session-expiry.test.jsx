import { screen, waitFor } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { api, tokens } from '@/lib/api-client';
import { renderWithProviders, student } from '@/test/utils';
import { AppRoutes } from './router';

// No module stub here: the real client and its interceptors, with axios' transport replaced.
const original = api.defaults.adapter;
afterEach(() => {
  api.defaults.adapter = original;
});

function respond(config, status, data) {
  const response = { data, status, statusText: '', headers: {}, config, request: {} };
  if (status < 400) return Promise.resolve(response);
  return Promise.reject(
    Object.assign(new Error(String(status)), { config, response, isAxiosError: true }),
  );
}

test('an expired token whose refresh fails sends the student to /login with "Your session expired"', async () => {
  const seen = [];
  api.defaults.adapter = (config) => {
    seen.push(config.url);
    if (config.url === '/auth/refresh')
      return respond(config, 401, { error: 'token_revoked', message: 'Revoked' });
    return respond(config, 401, { error: 'token_expired', message: 'Token has expired' });
  };
  renderWithProviders(null, { route: '/', user: student, routes: <AppRoutes /> });
  expect(await screen.findByText('Your session expired')).toBeInTheDocument();
  expect(screen.getByTestId('location')).toHaveTextContent('/login');
  expect(tokens.access).toBeNull();
  expect(seen).toContain('/auth/refresh');
});

test('an expired token is refreshed silently and the dashboard loads', async () => {
  const seen = [];
  api.defaults.adapter = (config) => {
    const auth = config.headers.Authorization;
    seen.push(`${config.url} ${auth}`);
    if (config.url === '/auth/refresh') return respond(config, 200, { access_token: 'fresh' });
    if (auth !== 'Bearer fresh')
      return respond(config, 401, { error: 'token_expired', message: 'Token has expired' });
    const answers = {
      '/auth/me': student,
      '/student/options': {
        images: [{ name: 'jupyter', port: 8888 }],
        default_image: 'jupyter',
        limits: {
          max_cpu_cores: 8,
          max_memory_gb: 32,
          max_gpu_count: 0,
          max_duration_hours: 24,
          horizon_days: 14,
        },
        presets: [],
      },
      '/student/bookings': { items: [], total: 0, page: 1, per_page: 10 },
      '/student/profile': { user: student, booking_counts: { pending: 2 } },
      '/student/availability': { available: true, nodes_fitting: 1 },
    };
    return respond(config, 200, answers[config.url]);
  };
  renderWithProviders(null, { route: '/', user: student, routes: <AppRoutes /> });
  expect(await screen.findByText('No bookings yet')).toBeInTheDocument();
  await waitFor(() => expect(tokens.access).toBe('fresh'));
  expect(screen.getByTestId('location')).toHaveTextContent('/');
  expect(seen.filter((s) => s.startsWith('/auth/refresh'))).toHaveLength(1);
});
