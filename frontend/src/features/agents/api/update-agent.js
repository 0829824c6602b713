import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { agentKeys } from './query-keys';

export async function updateAgent({ id, ...changes }) {
  const { data } = await api.patch(`/admin/agents/${id}`, changes);
  return data;
}

export function useUpdateAgent(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateAgent,
    ...options,
    onSuccess: (agent, ...rest) => {
      queryClient.invalidateQueries({ queryKey: agentKeys.list() });
      options.onSuccess?.(agent, ...rest);
    },
  });
}
