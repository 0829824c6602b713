import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

/** How to reach one's own running session: its Connect link, or host, port and password. */
export async function getSession(id) {
  const { data } = await api.get(`/student/bookings/${id}/session`);
  return data;
}

export const sessionQuery = (id) =>
  queryOptions({
    queryKey: studentKeys.session(id),
    queryFn: () => getSession(id),
    staleTime: 30_000,
    // A session still starting (its route not up yet) is asked again shortly.
    refetchInterval: (query) => (query.state.data?.state === 'running' ? false : 2_000),
    meta: { silent: true },
  });

export function useSession(id, { enabled = true } = {}) {
  return useQuery({ ...sessionQuery(id), enabled });
}
