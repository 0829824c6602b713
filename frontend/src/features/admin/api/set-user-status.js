import { api } from '@/lib/api-client';
import { makeOptimisticMutation } from '@/lib/optimistic';
import { adminKeys } from './query-keys';

export async function setUserStatus({ id, isActive }) {
  const { data } = await api.post(`/admin/users/${id}/status`, { is_active: isActive });
  return data;
}

/**
 * Optimistic: the account's status changes in every cached users page at once and is
 * restored if the API refuses. Disabling also cancels bookings, so all admin data is
 * refetched afterwards.
 */
export const useSetUserStatus = makeOptimisticMutation({
  request: setUserStatus,
  keys: [adminKeys.userLists()],
  invalidate: adminKeys.all,
  optimisticPatch: ({ isActive }) => ({ is_active: isActive }),
});
