import { api } from '@/lib/api-client';
import { makeBookingAction } from './make-booking-action';

export async function rejectBooking({ id, reason }) {
  const { data } = await api.post(`/admin/reject/${id}`, { reason });
  return data;
}

export const useRejectBooking = makeBookingAction({
  request: rejectBooking,
  optimisticPatch: ({ reason }) => ({ status: 'rejected', rejection_reason: reason }),
});
