import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { studentKeys } from './query-keys';

export async function getProfile() {
  const { data } = await api.get('/student/profile');
  return data;
}

export const profileQuery = () =>
  queryOptions({
    queryKey: studentKeys.profile(),
    queryFn: getProfile,
    refetchInterval: POLL_MS,
    meta: { silent: true },
  });

export function useProfile() {
  return useQuery(profileQuery());
}
