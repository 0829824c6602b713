import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';

export async function getAgents() {
  const { data } = await api.get('/admin/agents');
  return data;
}

export const agentsKey = ['admin', 'agents'];

export function useAgents() {
  return useQuery({ queryKey: agentsKey, queryFn: getAgents, refetchInterval: POLL_MS });
}
