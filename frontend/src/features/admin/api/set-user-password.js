import { useMutation } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

/** An admin sets a user's password; the user's sessions end. */
export async function setUserPassword({ userId, newPassword }) {
  const { data } = await api.post(`/admin/users/${userId}/password`, { new_password: newPassword });
  return data;
}

export function useSetUserPassword(options = {}) {
  return useMutation({ mutationFn: setUserPassword, ...options });
}
