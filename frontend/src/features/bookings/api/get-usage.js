import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

export async function getUsage() {
  const { data } = await api.get('/student/usage');
  return data;
}

export const usageQuery = () =>
  queryOptions({ queryKey: studentKeys.usage(), queryFn: getUsage, staleTime: 30_000 });

/** The student's policy and what they use of it this week (GET /student/usage). */
export function useUsage() {
  return useQuery(usageQuery());
}
