import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { AppProvider } from '@/app/provider';
import { tokens } from '@/lib/api-client';
import { createQueryClient } from '@/lib/query-client';

export const student = { id: 7, username: 'alice', email: 'alice@uni.example', role: 'student' };
export const admin = { id: 1, username: 'root', email: 'root@uni.example', role: 'admin' };

export function signIn(user) {
  tokens.save({
    access_token: `access-${user.username}`,
    refresh_token: `refresh-${user.username}`,
    user,
  });
}

export function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname}</output>;
}

/** Render `ui` (or a route table) inside the real providers with a memory router. */
export function renderWithProviders(ui, { route = '/', user, routes } = {}) {
  if (user) signIn(user);
  const queryClient = createQueryClient({ silent: true });
  queryClient.setDefaultOptions({
    queries: { ...queryClient.getDefaultOptions().queries, retry: false },
  });
  const result = render(
    <MemoryRouter initialEntries={[route]}>
      <AppProvider queryClient={queryClient}>
        {routes || ui}
        <LocationProbe />
      </AppProvider>
    </MemoryRouter>,
  );
  return { ...result, queryClient, user: userEvent.setup() };
}

export { Route, Routes };

/** A list answer in the API's shape. */
export const page = (items, extra = {}) => ({
  items,
  total: items.length,
  page: 1,
  per_page: 20,
  ...extra,
});

/** An axios-like answer. */
export const ok = (data) => Promise.resolve({ data });
