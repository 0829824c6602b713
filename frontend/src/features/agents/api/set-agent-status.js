import { api } from '@/lib/api-client';
import { makeOptimisticMutation } from '@/lib/optimistic';
import { agentKeys } from './query-keys';

export async function setAgentStatus({ id, status }) {
  const { data } = await api.post(`/admin/agents/${id}/status`, { status });
  return data;
}

/** Optimistic: the node's badge changes at once and is restored if the API refuses. */
export const useSetAgentStatus = makeOptimisticMutation({
  request: setAgentStatus,
  keys: [agentKeys.list()],
  invalidate: agentKeys.adminAll,
  optimisticPatch: ({ status }) => ({ status }),
});
