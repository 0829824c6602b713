import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { studentKeys } from './query-keys';

export async function getMyBookings({ status, page = 1, perPage = 10 } = {}) {
  const { data } = await api.get('/student/bookings', {
    params: { status: status || undefined, page, per_page: perPage },
  });
  return data;
}

export const myBookingsQuery = (params) =>
  queryOptions({
    queryKey: studentKeys.bookings(params),
    queryFn: () => getMyBookings(params),
    refetchInterval: POLL_MS,
    placeholderData: keepPreviousData,
  });

/** The student's bookings, each with the `actions` they may take on it now. */
export function useMyBookings(params) {
  return useQuery(myBookingsQuery(params));
}
