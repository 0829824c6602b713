import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export async function getAdminBooking(id) {
  const { data } = await api.get(`/admin/bookings/${id}`);
  return data;
}

export function useAdminBooking(id) {
  return useQuery({
    queryKey: ['admin', 'booking', id],
    queryFn: () => getAdminBooking(id),
    enabled: id != null,
  });
}
