import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { adminKeys } from './query-keys';

export async function getExtensionRequests({ status = 'pending', page = 1, perPage = 20 } = {}) {
  const { data } = await api.get('/admin/extension-requests', {
    params: { status, page, per_page: perPage },
  });
  return data;
}

export const extensionRequestsQuery = (params = {}) =>
  queryOptions({
    queryKey: adminKeys.extensionRequests(params),
    queryFn: () => getExtensionRequests(params),
    refetchInterval: POLL_MS,
  });

/** The queue of students' requests for more time, oldest first. */
export function useExtensionRequests(params) {
  return useQuery(extensionRequestsQuery(params));
}

/** Approve (`decision: 'approve'`, optional `note`) or reject (`reason`) a request. */
export async function decideExtensionRequest({ id, decision, note, reason }) {
  const body = decision === 'approve' ? { note: note || null } : { reason };
  const { data } = await api.post(`/admin/extension-requests/${id}/${decision}`, body);
  return data;
}

export function useDecideExtensionRequest(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: decideExtensionRequest,
    ...options,
    onSettled: (...args) => {
      queryClient.invalidateQueries({ queryKey: adminKeys.all });
      options.onSettled?.(...args);
    },
  });
}
