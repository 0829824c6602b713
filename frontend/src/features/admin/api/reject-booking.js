import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { invalidateAdmin, patchCachedBookings, restoreCachedBookings } from './optimistic';

export async function rejectBooking({ id, reason }) {
  const { data } = await api.post(`/admin/reject/${id}`, { reason });
  return data;
}

export function useRejectBooking(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: rejectBooking,
    onMutate: async ({ id, reason }) => ({
      previous: await patchCachedBookings(queryClient, [id], {
        status: 'rejected',
        rejection_reason: reason,
      }),
    }),
    onError: (error, variables, context) => {
      restoreCachedBookings(queryClient, context?.previous);
      options.onError?.(error, variables);
    },
    onSuccess: (booking, variables) => options.onSuccess?.(booking, variables),
    onSettled: () => invalidateAdmin(queryClient),
  });
}
