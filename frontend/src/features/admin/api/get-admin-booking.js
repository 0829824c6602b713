import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { adminKeys } from './query-keys';

export async function getAdminBooking(id) {
  const { data } = await api.get(`/admin/bookings/${id}`);
  return data;
}

export const adminBookingQuery = (id) =>
  queryOptions({
    queryKey: adminKeys.booking(id),
    queryFn: () => getAdminBooking(id),
    enabled: id != null,
  });

/** One booking with its history (`events`) and the `actions` the admin may take now. */
export function useAdminBooking(id) {
  return useQuery(adminBookingQuery(id));
}
