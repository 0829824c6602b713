import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { adminKeys } from './query-keys';

export async function getUsers({ q = '', page = 1, perPage = 20 } = {}) {
  const { data } = await api.get('/admin/users', {
    params: { q: q || undefined, page, per_page: perPage },
  });
  return data;
}

/**
 * Users matching `q` (username or email), one page at a time. Defaults suit the user
 * filter's suggestions; the Users page passes `options` to poll and keep the last page.
 */
export const usersQuery = (params, options = {}) =>
  queryOptions({
    queryKey: adminKeys.users(params),
    queryFn: () => getUsers(params),
    staleTime: 60_000,
    meta: { silent: true },
    ...options,
  });

export function useUsers(params, options) {
  return useQuery(usersQuery(params, options));
}
