import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { adminKeys } from './query-keys';

/** Create (no `id`) or change a policy; a null limit means no limit. */
export async function savePolicy({ id, values }) {
  const { data } = id
    ? await api.patch(`/admin/policies/${id}`, values)
    : await api.post('/admin/policies', values);
  return data;
}

export async function deletePolicy({ id }) {
  await api.delete(`/admin/policies/${id}`);
  return { id };
}

function usePolicyMutation(mutationFn, options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    ...options,
    onSettled: (...args) => {
      queryClient.invalidateQueries({ queryKey: adminKeys.policies() });
      queryClient.invalidateQueries({ queryKey: adminKeys.userLists() });
      options.onSettled?.(...args);
    },
  });
}

export const useSavePolicy = (options) => usePolicyMutation(savePolicy, options);
export const useDeletePolicy = (options) => usePolicyMutation(deletePolicy, options);
