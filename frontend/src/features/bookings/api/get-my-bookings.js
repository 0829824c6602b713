import { useEffect, useRef } from 'react';
import { keepPreviousData, queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { POLL_MS } from '@/lib/query-client';
import { studentKeys } from './query-keys';

export async function getMyBookings({ status, page = 1, perPage = 10 } = {}) {
  const { data } = await api.get('/student/bookings', {
    params: { status: status || undefined, page, per_page: perPage },
  });
  return data;
}

const SOON_MS = 90_000;
export const FAST_POLL_MS = 3_000;

/** How often to refresh the list: every few seconds while one of its bookings is
 * about to start or end (so Connect appears and goes without a reload), else POLL_MS. */
export function bookingsPollMs(items = [], now = Date.now()) {
  const near = (iso) => Math.abs(new Date(iso).getTime() - now) < SOON_MS;
  const changing = items.some(
    (b) =>
      (b.status === 'approved' && near(b.start_time)) ||
      (b.status === 'active' && near(b.end_time)),
  );
  return changing ? FAST_POLL_MS : POLL_MS;
}

export const myBookingsQuery = (params) =>
  queryOptions({
    queryKey: studentKeys.bookings(params),
    queryFn: () => getMyBookings(params),
    refetchInterval: (query) => bookingsPollMs(query.state.data?.items),
    placeholderData: keepPreviousData,
  });

/** The student's bookings, each with the `actions` they may take on it now. */
export function useMyBookings(params) {
  const query = useQuery(myBookingsQuery(params));
  const queryClient = useQueryClient();
  // When a booking changes status on its own (started, ended), what shows it elsewhere
  // follows at once: the counts, the quota, and the other lists (e.g. the ending banner's).
  const loaded = query.data !== undefined;
  const statuses = (query.data?.items || []).map((b) => `${b.id}:${b.status}`).join(',');
  const seen = useRef(undefined);
  const key = JSON.stringify(studentKeys.bookings(params));
  useEffect(() => {
    if (!loaded) return;
    const changed = seen.current !== undefined && seen.current !== statuses;
    seen.current = statuses;
    if (!changed) return;
    queryClient.invalidateQueries({ queryKey: studentKeys.profile() });
    queryClient.invalidateQueries({ queryKey: studentKeys.usage() });
    queryClient.invalidateQueries({
      queryKey: studentKeys.bookingLists(),
      predicate: (other) => JSON.stringify(other.queryKey) !== key,
    });
  }, [loaded, statuses, key, queryClient]);
  return query;
}
