import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { adminKeys } from './query-keys';

export async function getStats() {
  const { data } = await api.get('/admin/stats');
  return data;
}

export const statsQuery = () =>
  queryOptions({ queryKey: adminKeys.stats(), queryFn: getStats, refetchInterval: POLL_MS });

export function useStats() {
  return useQuery(statsQuery());
}
