import { api } from '@/lib/api-client';
import { makeOptimisticMutation } from '@/lib/optimistic';
import { studentKeys } from './query-keys';

export async function cancelBooking({ id }) {
  const { data } = await api.post(`/student/bookings/${id}/cancel`);
  return data;
}

/**
 * Optimistic: the booking shows as cancelled, with no actions, at once and is restored if
 * the API refuses.
 */
export const useCancelBooking = makeOptimisticMutation({
  request: cancelBooking,
  keys: [studentKeys.bookingLists()],
  invalidate: studentKeys.all,
  optimisticPatch: () => ({ status: 'cancelled', actions: [] }),
});
