import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { usersKey } from './get-users';
import { invalidateAdmin } from './optimistic';

export async function setUserStatus({ id, isActive }) {
  const { data } = await api.post(`/admin/users/${id}/status`, { is_active: isActive });
  return data;
}

/**
 * Optimistic: the account's status changes in every cached users page at once and is
 * restored if the API refuses. Disabling also cancels bookings, so all admin data is
 * refetched afterwards.
 */
export function useSetUserStatus(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setUserStatus,
    onMutate: async ({ id, isActive }) => {
      await queryClient.cancelQueries({ queryKey: usersKey });
      const previous = queryClient.getQueriesData({ queryKey: usersKey });
      queryClient.setQueriesData({ queryKey: usersKey }, (old) =>
        old?.items
          ? {
              ...old,
              items: old.items.map((u) =>
                u.id === id ? { ...u, is_active: isActive, _optimistic: true } : u,
              ),
            }
          : old,
      );
      return { previous };
    },
    onError: (error, variables, context) => {
      context?.previous?.forEach(([key, data]) => queryClient.setQueryData(key, data));
      options.onError?.(error, variables);
    },
    onSuccess: (user, variables) => options.onSuccess?.(user, variables),
    onSettled: () => invalidateAdmin(queryClient),
  });
}
