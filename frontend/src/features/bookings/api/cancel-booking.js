import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export async function cancelBooking(id) {
  const { data } = await api.post(`/student/bookings/${id}/cancel`);
  return data;
}

/** Optimistic: the booking shows as cancelled at once and is restored if the API refuses. */
export function useCancelBooking(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelBooking,
    onMutate: async (id) => {
      await queryClient.cancelQueries({ queryKey: ['student', 'bookings'] });
      const previous = queryClient.getQueriesData({ queryKey: ['student', 'bookings'] });
      queryClient.setQueriesData({ queryKey: ['student', 'bookings'] }, (old) =>
        old?.items
          ? {
              ...old,
              items: old.items.map((b) => (b.id === id ? { ...b, status: 'cancelled' } : b)),
            }
          : old,
      );
      return { previous };
    },
    onError: (error, id, context) => {
      context?.previous?.forEach(([key, data]) => queryClient.setQueryData(key, data));
      options.onError?.(error, id);
    },
    onSuccess: (booking) => options.onSuccess?.(booking),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['student'] }),
  });
}
