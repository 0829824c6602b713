import { queryOptions, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '@/lib/api-client';
import { useAuth } from '@/lib/auth';
import { authKeys } from './query-keys';

export async function getMe() {
  const { data } = await api.get('/auth/me');
  return data;
}

export const meQuery = (options = {}) =>
  queryOptions({
    queryKey: authKeys.me(),
    queryFn: getMe,
    staleTime: 5 * 60_000,
    meta: { silent: true },
    ...options,
  });

/** Re-checks the stored user against the server (role changes, deactivation). */
export function useMe() {
  const { user, updateUser } = useAuth();
  const query = useQuery(meQuery({ enabled: Boolean(user) }));
  const fresh = query.data;
  useEffect(() => {
    if (fresh && user && (fresh.role !== user.role || fresh.username !== user.username)) {
      updateUser({ id: fresh.id, username: fresh.username, email: fresh.email, role: fresh.role });
    }
  }, [fresh, user, updateUser]);
  return query;
}
