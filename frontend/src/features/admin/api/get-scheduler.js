import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';

export async function getScheduler() {
  const { data } = await api.get('/admin/scheduler');
  return data;
}

/** The scheduler's leader, its jobs' last runs and the next starts, stops and wakes. */
export function useScheduler() {
  return useQuery({
    queryKey: ['admin', 'scheduler'],
    queryFn: getScheduler,
    refetchInterval: POLL_MS,
  });
}
