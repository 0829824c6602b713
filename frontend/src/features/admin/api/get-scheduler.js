import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { adminKeys } from './query-keys';

export async function getScheduler() {
  const { data } = await api.get('/admin/scheduler');
  return data;
}

export const schedulerQuery = () =>
  queryOptions({
    queryKey: adminKeys.scheduler(),
    queryFn: getScheduler,
    refetchInterval: POLL_MS,
  });

/** The scheduler's leader, its jobs' last runs and the next starts, stops and wakes. */
export function useScheduler() {
  return useQuery(schedulerQuery());
}
