import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';

export async function getMyBookings({ status, page = 1, perPage = 10 } = {}) {
  const { data } = await api.get('/student/bookings', {
    params: { status: status || undefined, page, per_page: perPage },
  });
  return data;
}

export const myBookingsKey = (params) => ['student', 'bookings', params];

export function useMyBookings(params) {
  return useQuery({
    queryKey: myBookingsKey(params),
    queryFn: () => getMyBookings(params),
    refetchInterval: POLL_MS,
    placeholderData: keepPreviousData,
  });
}
