import { makeOptimisticMutation } from '@/lib/optimistic';
import { adminKeys } from './query-keys';

/**
 * The mutation hook for one admin action on bookings. `optimisticPatch(variables)`, when
 * given, is shown in every cached bookings list and booking at once; the API's answer
 * replaces it, a refusal restores what was there. Afterwards all admin data is refetched:
 * stats, node usage and the timeline may all have changed.
 */
export function makeBookingAction({ request, optimisticPatch, ...config }) {
  return makeOptimisticMutation({
    request,
    keys: [adminKeys.bookingLists(), adminKeys.bookingDetails()],
    invalidate: adminKeys.all,
    // Until the API answers, a booking offers no actions: the ones it had may be gone.
    optimisticPatch:
      optimisticPatch && ((variables) => ({ ...optimisticPatch(variables), actions: [] })),
    ...config,
  });
}
