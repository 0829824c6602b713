import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '@/lib/api-client';
import { useAuth } from '@/lib/auth';

export async function getMe() {
  const { data } = await api.get('/auth/me');
  return data;
}

/** Re-checks the stored user against the server (role changes, deactivation). */
export function useMe() {
  const { user, updateUser } = useAuth();
  const query = useQuery({
    queryKey: ['auth', 'me'],
    queryFn: getMe,
    enabled: Boolean(user),
    staleTime: 5 * 60_000,
    meta: { silent: true },
  });
  const fresh = query.data;
  useEffect(() => {
    if (fresh && user && (fresh.role !== user.role || fresh.username !== user.username)) {
      updateUser({ id: fresh.id, username: fresh.username, email: fresh.email, role: fresh.role });
    }
  }, [fresh, user, updateUser]);
  return query;
}
