import { useMutation } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { useAuth } from '@/lib/auth';

export async function login({ username, password }) {
  const { data } = await api.post(
    '/auth/login',
    { username, password },
    { _anonymous: true, _skipAuthRetry: true },
  );
  return data;
}

export function useLogin(options = {}) {
  const { startSession } = useAuth();
  return useMutation({
    mutationFn: login,
    ...options,
    onSuccess: (session, ...rest) => {
      startSession(session);
      options.onSuccess?.(session, ...rest);
    },
  });
}
