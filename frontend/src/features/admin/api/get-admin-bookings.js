import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { adminKeys } from './query-keys';

/** Filters with empty values are left out of the query string. */
export async function getAdminBookings(params = {}) {
  const query = Object.fromEntries(
    Object.entries(params).filter(([, value]) => value !== '' && value != null),
  );
  const { data } = await api.get('/admin/bookings', { params: query });
  return data;
}

export const adminBookingsQuery = (params) =>
  queryOptions({
    queryKey: adminKeys.bookings(params),
    queryFn: () => getAdminBookings(params),
    refetchInterval: POLL_MS,
    placeholderData: keepPreviousData,
  });

export function useAdminBookings(params) {
  return useQuery(adminBookingsQuery(params));
}
