import { api } from '@/lib/api-client';
import { makeBookingAction } from './make-booking-action';

export async function approveBooking({ id, agentId, notes }) {
  const body = {};
  if (agentId) body.agent_id = Number(agentId);
  if (notes) body.notes = notes;
  const { data } = await api.post(`/admin/approve/${id}`, body);
  return data;
}

export const useApproveBooking = makeBookingAction({
  request: approveBooking,
  optimisticPatch: () => ({ status: 'approved' }),
});
