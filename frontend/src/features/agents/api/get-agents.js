import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { agentKeys } from './query-keys';

export async function getAgents() {
  const { data } = await api.get('/admin/agents');
  return data;
}

export const agentsQuery = () =>
  queryOptions({ queryKey: agentKeys.list(), queryFn: getAgents, refetchInterval: POLL_MS });

export function useAgents() {
  return useQuery(agentsQuery());
}
