import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export async function getUsers({ q = '', page = 1, perPage = 20 } = {}) {
  const { data } = await api.get('/admin/users', {
    params: { q: q || undefined, page, per_page: perPage },
  });
  return data;
}

/** Usernames matching `q`, for the user filter's suggestions. */
export function useUsers(params) {
  return useQuery({
    queryKey: ['admin', 'users', params],
    queryFn: () => getUsers(params),
    staleTime: 60_000,
    meta: { silent: true },
  });
}
