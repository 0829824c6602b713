import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { invalidateAdmin } from './optimistic';

/** {action: approve|reject|extend, ids, reason?, minutes?, agent_id?} → {results: [{id, ok, error?}]} */
export async function bulkAction({ action, ids, reason, minutes, agentId }) {
  const body = { action, ids };
  if (reason) body.reason = reason;
  if (minutes) body.minutes = Number(minutes);
  if (agentId) body.agent_id = Number(agentId);
  const { data } = await api.post('/admin/bulk', body);
  return data;
}

export function useBulkAction(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: bulkAction,
    ...options,
    onSettled: () => invalidateAdmin(queryClient),
  });
}
