/** Patch bookings in every cached admin bookings list; returns a snapshot to restore. */
export async function patchCachedBookings(queryClient, ids, patch) {
  const key = ['admin', 'bookings'];
  await queryClient.cancelQueries({ queryKey: key });
  const previous = queryClient.getQueriesData({ queryKey: key });
  const idSet = new Set(ids);
  queryClient.setQueriesData({ queryKey: key }, (old) =>
    old?.items
      ? {
          ...old,
          items: old.items.map((b) =>
            idSet.has(b.id) ? { ...b, ...patch, _optimistic: true } : b,
          ),
        }
      : old,
  );
  return previous;
}

export function restoreCachedBookings(queryClient, previous) {
  previous?.forEach(([key, data]) => queryClient.setQueryData(key, data));
}

/** After any admin action: bookings, stats and node usage may all have changed. */
export function invalidateAdmin(queryClient) {
  return queryClient.invalidateQueries({ queryKey: ['admin'] });
}
