import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { agentsKey } from './get-agents';

export async function setAgentStatus({ id, status }) {
  const { data } = await api.post(`/admin/agents/${id}/status`, { status });
  return data;
}

/** Optimistic: the node's badge changes at once and is restored if the API refuses. */
export function useSetAgentStatus(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setAgentStatus,
    onMutate: async ({ id, status }) => {
      await queryClient.cancelQueries({ queryKey: agentsKey });
      const previous = queryClient.getQueryData(agentsKey);
      queryClient.setQueryData(agentsKey, (old) =>
        old?.items
          ? { ...old, items: old.items.map((a) => (a.id === id ? { ...a, status } : a)) }
          : old,
      );
      return { previous };
    },
    onError: (error, variables, context) => {
      if (context?.previous) queryClient.setQueryData(agentsKey, context.previous);
      options.onError?.(error, variables);
    },
    onSuccess: (agent, variables) => options.onSuccess?.(agent, variables),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['admin'] }),
  });
}
