import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { agentKeys } from './query-keys';

export async function createAgent(agent) {
  const { data } = await api.post('/admin/agents', agent);
  return data;
}

export function useCreateAgent(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createAgent,
    ...options,
    onSuccess: (agent, ...rest) => {
      queryClient.setQueryData(agentKeys.list(), (old) =>
        old?.items ? { ...old, items: [...old.items, agent] } : old,
      );
      queryClient.invalidateQueries({ queryKey: agentKeys.adminAll });
      options.onSuccess?.(agent, ...rest);
    },
  });
}
