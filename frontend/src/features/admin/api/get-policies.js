import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { adminKeys } from './query-keys';

export async function getPolicies() {
  const { data } = await api.get('/admin/policies');
  return data;
}

export const policiesQuery = () =>
  queryOptions({ queryKey: adminKeys.policies(), queryFn: getPolicies, staleTime: 30_000 });

/** Every policy, the default first, each with how many users it applies to. */
export function usePolicies() {
  return useQuery(policiesQuery());
}
