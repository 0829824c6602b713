import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';

export async function getProfile() {
  const { data } = await api.get('/student/profile');
  return data;
}

export function useProfile() {
  return useQuery({
    queryKey: ['student', 'profile'],
    queryFn: getProfile,
    refetchInterval: POLL_MS,
    meta: { silent: true },
  });
}
