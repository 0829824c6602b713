import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { adminKeys } from './query-keys';

/** Give a user a named policy, or (`policyId` null) the default. */
export async function assignPolicy({ userId, policyId }) {
  const { data } = await api.put(`/admin/users/${userId}/policy`, { policy_id: policyId });
  return data;
}

export function useAssignPolicy(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: assignPolicy,
    ...options,
    onSettled: (...args) => {
      queryClient.invalidateQueries({ queryKey: adminKeys.userLists() });
      queryClient.invalidateQueries({ queryKey: adminKeys.policies() });
      options.onSettled?.(...args);
    },
  });
}
