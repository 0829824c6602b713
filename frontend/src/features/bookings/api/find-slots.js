import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

/** The earliest windows in which the lab could take a request: `{windows, complete}`. */
export async function findSlots(request) {
  const { data } = await api.post('/student/slots', request);
  return data;
}

export const slotsQuery = (request) =>
  queryOptions({
    queryKey: studentKeys.slots(request),
    queryFn: () => findSlots(request),
    enabled: Boolean(request),
    staleTime: 15_000,
    // "Earliest" moves with the clock: a suggestion at least a minute ahead when
    // fetched stays in the future if it is fetched again every 30 s.
    refetchInterval: 30_000,
    placeholderData: keepPreviousData,
    meta: { silent: true },
    retry: false,
  });

/** Pass an already debounced request (cpu_cores, memory_gb, gpu_count, duration, not_before?), or null. */
export function useSlots(request) {
  return useQuery(slotsQuery(request));
}
