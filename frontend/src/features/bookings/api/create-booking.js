import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

export async function createBooking(booking) {
  const { data } = await api.post('/student/book', booking);
  return data;
}

export function useCreateBooking(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createBooking,
    ...options,
    onSuccess: (...args) => {
      queryClient.invalidateQueries({ queryKey: studentKeys.all });
      options.onSuccess?.(...args);
    },
  });
}
