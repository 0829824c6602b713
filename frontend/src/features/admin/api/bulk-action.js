import { api } from '@/lib/api-client';
import { makeBookingAction } from './make-booking-action';

/**
 * {action: approve|reject|extend|cancel, ids, reason?, minutes?, agentId?}
 * → {results: [{id, ok, booking?, error?}]}
 */
export async function bulkAction({ action, ids, reason, minutes, agentId }) {
  const body = { action, ids };
  if (reason) body.reason = reason;
  if (minutes) body.minutes = Number(minutes);
  if (agentId) body.agent_id = Number(agentId);
  const { data } = await api.post('/admin/bulk', body);
  return data;
}

/** Each booking the API changed replaces the cached one; the refetch brings the rest. */
export const useBulkAction = makeBookingAction({
  request: bulkAction,
  idsOf: (variables) => variables.ids,
  optimisticPatch: () => ({}),
  answered: (data) => (data.results || []).map((result) => result.booking),
});
