import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { invalidateAdmin, patchCachedBookings, restoreCachedBookings } from './optimistic';

export async function approveBooking({ id, agentId, notes }) {
  const body = {};
  if (agentId) body.agent_id = Number(agentId);
  if (notes) body.notes = notes;
  const { data } = await api.post(`/admin/approve/${id}`, body);
  return data;
}

export function useApproveBooking(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: approveBooking,
    onMutate: async ({ id }) => ({
      previous: await patchCachedBookings(queryClient, [id], { status: 'approved' }),
    }),
    onError: (error, variables, context) => {
      restoreCachedBookings(queryClient, context?.previous);
      options.onError?.(error, variables);
    },
    onSuccess: (booking, variables) => options.onSuccess?.(booking, variables),
    onSettled: () => invalidateAdmin(queryClient),
  });
}
