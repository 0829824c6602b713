import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export const accountKeys = {
  all: ['account'],
  notifications: () => ['account', 'notifications'],
  feeds: () => ['account', 'calendar-feeds'],
};

export async function getNotifications() {
  const { data } = await api.get('/student/notifications');
  return data;
}

export function useNotifications() {
  return useQuery({ queryKey: accountKeys.notifications(), queryFn: getNotifications });
}

export function useSetNotifications() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (categories) =>
      (await api.put('/student/notifications', { categories })).data,
    // The switch moves at once; the API's answer (or the old state on an error) replaces it.
    onMutate: (categories) => {
      const before = queryClient.getQueryData(accountKeys.notifications());
      if (before) {
        queryClient.setQueryData(accountKeys.notifications(), {
          ...before,
          categories: before.categories.map((c) =>
            c.category in categories ? { ...c, email: categories[c.category] } : c,
          ),
        });
      }
      return { before };
    },
    onError: (_error, _categories, context) => {
      if (context?.before) queryClient.setQueryData(accountKeys.notifications(), context.before);
    },
    onSuccess: (data) => queryClient.setQueryData(accountKeys.notifications(), data),
  });
}

export function useCalendarFeeds() {
  return useQuery({
    queryKey: accountKeys.feeds(),
    queryFn: async () => (await api.get('/student/calendar-feeds')).data,
  });
}

/** A new secret feed URL (shown once); the previous URL stops working. */
export function useRegenerateFeed() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => (await api.post('/student/calendar-feed')).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: accountKeys.feeds() }),
  });
}

export async function changePassword({ currentPassword, newPassword }) {
  const { data } = await api.post('/auth/password', {
    current_password: currentPassword,
    new_password: newPassword,
  });
  return data;
}

export async function forgotPassword(email) {
  const { data } = await api.post('/auth/forgot-password', { email }, { _anonymous: true });
  return data;
}

export async function resetPassword({ token, newPassword }) {
  const { data } = await api.post(
    '/auth/reset-password',
    { token, new_password: newPassword },
    { _anonymous: true },
  );
  return data;
}

/** Admins: a new secret feed URL of the whole lab (scope 'lab') or of one node. */
export function useRegenerateLabFeed() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ scope = 'lab', agentId = null } = {}) =>
      (await api.post('/admin/calendar-feeds', { scope, agent_id: agentId })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: accountKeys.feeds() }),
  });
}
