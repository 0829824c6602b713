import { useMutation } from '@tanstack/react-query';
import { api, tokens } from '@/lib/api-client';
import { useAuth } from '@/lib/auth';

/** Revokes the tokens on the server; the local session ends whatever the answer. */
export async function logout() {
  const { data } = await api.post('/auth/logout', { refresh_token: tokens.refresh || undefined });
  return data;
}

export function useLogout() {
  const { clearSession } = useAuth();
  return useMutation({
    mutationFn: logout,
    onSettled: () => clearSession('You have signed out.'),
  });
}
