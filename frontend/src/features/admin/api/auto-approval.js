import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { adminKeys } from './query-keys';

export async function getAutoApproval() {
  const { data } = await api.get('/admin/auto-approval');
  return data;
}

export async function setAutoApproval({ enabled }) {
  const { data } = await api.put('/admin/auto-approval', { enabled });
  return data;
}

export const autoApprovalQuery = () =>
  queryOptions({ queryKey: adminKeys.autoApproval(), queryFn: getAutoApproval });

/** Whether policies may approve bookings and extensions by themselves, lab-wide. */
export function useAutoApproval() {
  return useQuery(autoApprovalQuery());
}

export function useSetAutoApproval(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setAutoApproval,
    ...options,
    onSuccess: (data, ...rest) => {
      queryClient.setQueryData(adminKeys.autoApproval(), data);
      options.onSuccess?.(data, ...rest);
    },
  });
}
