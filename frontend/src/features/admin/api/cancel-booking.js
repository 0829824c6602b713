import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { invalidateAdmin, patchCachedBookings, restoreCachedBookings } from './optimistic';

export async function adminCancelBooking({ id, reason }) {
  const { data } = await api.post(`/admin/bookings/${id}/cancel`, reason ? { reason } : {});
  return data;
}

export function useAdminCancelBooking(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: adminCancelBooking,
    onMutate: async ({ id }) => ({
      previous: await patchCachedBookings(queryClient, [id], { status: 'cancelled' }),
    }),
    onError: (error, variables, context) => {
      restoreCachedBookings(queryClient, context?.previous);
      options.onError?.(error, variables);
    },
    onSuccess: (booking, variables) => options.onSuccess?.(booking, variables),
    onSettled: () => invalidateAdmin(queryClient),
  });
}
