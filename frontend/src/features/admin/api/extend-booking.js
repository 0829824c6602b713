import { api } from '@/lib/api-client';
import { makeBookingAction } from './make-booking-action';

export async function extendBooking({ id, minutes }) {
  const { data } = await api.post(`/admin/extend/${id}`, { minutes: Number(minutes) });
  return data;
}

/** Not optimistic: the new end time is the API's to decide. */
export const useExtendBooking = makeBookingAction({ request: extendBooking });
