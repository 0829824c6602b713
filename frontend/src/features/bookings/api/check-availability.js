import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export async function checkAvailability(request) {
  const { data } = await api.post('/student/availability', request);
  return data;
}

/** Pass an already debounced request, or null to check nothing. */
export function useAvailability(request) {
  return useQuery({
    queryKey: ['student', 'availability', request],
    queryFn: () => checkAvailability(request),
    enabled: Boolean(request),
    staleTime: 15_000,
    placeholderData: keepPreviousData,
    meta: { silent: true },
    retry: false,
  });
}
