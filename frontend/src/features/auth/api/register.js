import { useMutation } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { useAuth } from '@/lib/auth';

export async function register({ username, email, password }) {
  const { data } = await api.post(
    '/auth/register',
    { username, email, password },
    { _anonymous: true, _skipAuthRetry: true },
  );
  return data;
}

export function useRegister(options = {}) {
  const { startSession } = useAuth();
  return useMutation({
    mutationFn: register,
    ...options,
    onSuccess: (session, ...rest) => {
      startSession(session);
      options.onSuccess?.(session, ...rest);
    },
  });
}
