import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';

export async function getStats() {
  const { data } = await api.get('/admin/stats');
  return data;
}

export function useStats() {
  return useQuery({ queryKey: ['admin', 'stats'], queryFn: getStats, refetchInterval: POLL_MS });
}
