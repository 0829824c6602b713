import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export async function getOptions() {
  const { data } = await api.get('/student/options');
  return data;
}

export function useOptions() {
  return useQuery({ queryKey: ['student', 'options'], queryFn: getOptions, staleTime: 5 * 60_000 });
}
