import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

export async function checkAvailability(request) {
  const { data } = await api.post('/student/availability', request);
  return data;
}

export const availabilityQuery = (request) =>
  queryOptions({
    queryKey: studentKeys.availability(request),
    queryFn: () => checkAvailability(request),
    enabled: Boolean(request),
    staleTime: 15_000,
    placeholderData: keepPreviousData,
    meta: { silent: true },
    retry: false,
  });

/** Pass an already debounced request, or null to check nothing. */
export function useAvailability(request) {
  return useQuery(availabilityQuery(request));
}
