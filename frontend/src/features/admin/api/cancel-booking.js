import { api } from '@/lib/api-client';
import { makeBookingAction } from './make-booking-action';

export async function adminCancelBooking({ id, reason }) {
  const { data } = await api.post(`/admin/bookings/${id}/cancel`, reason ? { reason } : {});
  return data;
}

export const useAdminCancelBooking = makeBookingAction({
  request: adminCancelBooking,
  optimisticPatch: () => ({ status: 'cancelled' }),
});
