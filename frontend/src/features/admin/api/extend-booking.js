import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { invalidateAdmin } from './optimistic';

export async function extendBooking({ id, minutes }) {
  const { data } = await api.post(`/admin/extend/${id}`, { minutes: Number(minutes) });
  return data;
}

export function useExtendBooking(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: extendBooking,
    ...options,
    onSettled: () => invalidateAdmin(queryClient),
  });
}
