import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

export async function getCapacity() {
  const { data } = await api.get('/student/capacity');
  return data;
}

export const capacityQuery = () =>
  queryOptions({
    queryKey: studentKeys.capacity(),
    queryFn: getCapacity,
    staleTime: 60_000,
    meta: { silent: true },
  });

/** The lab's free cores and GPUs per hour for 7 days, totals only (GET /student/capacity). */
export function useCapacity() {
  return useQuery(capacityQuery());
}
