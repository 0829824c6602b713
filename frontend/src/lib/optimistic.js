import { useMutation, useQueryClient } from '@tanstack/react-query';

/** Merge `patch(item)` into the items whose id is in `ids`: in a list answer or a single object. */
function patchData(old, ids, patch) {
  if (old?.items) {
    return {
      ...old,
      items: old.items.map((item) => (ids.has(item.id) ? { ...item, ...patch(item) } : item)),
    };
  }
  return old && ids.has(old.id) ? { ...old, ...patch(old) } : old;
}

function patchCached(queryClient, keys, ids, patch) {
  const idSet = new Set(ids);
  for (const queryKey of keys) {
    queryClient.setQueriesData({ queryKey }, (old) => patchData(old, idSet, patch));
  }
}

/**
 * A mutation hook factory for changes to items the cache holds (bookings, users, nodes).
 *
 * - `request(variables)` calls the API.
 * - `keys`: the query-key prefixes whose cached answers hold such items.
 * - `optimisticPatch(variables)` (optional): merged at once into the items `idsOf(variables)`,
 *   marked `_optimistic`, and rolled back if the API refuses.
 * - `answered(data)`: the items the API returned (default `[data]`); they replace the cached
 *   ones as soon as the API answers.
 * - `invalidate`: the key prefix refetched afterwards, whatever the answer.
 *
 * The returned hook takes `{onSuccess, onError}` callbacks.
 */
export function makeOptimisticMutation({
  request,
  keys,
  invalidate,
  optimisticPatch,
  idsOf = (variables) => [variables.id],
  answered = (data) => [data],
}) {
  return function useOptimisticMutation(options = {}) {
    const queryClient = useQueryClient();
    return useMutation({
      mutationFn: request,
      onMutate: async (variables) => {
        const patch = optimisticPatch?.(variables);
        if (!patch) return {};
        await Promise.all(keys.map((queryKey) => queryClient.cancelQueries({ queryKey })));
        const previous = keys.flatMap((queryKey) => queryClient.getQueriesData({ queryKey }));
        patchCached(queryClient, keys, idsOf(variables), () => ({ ...patch, _optimistic: true }));
        return { previous };
      },
      onError: (error, variables, context) => {
        context?.previous?.forEach(([key, data]) => queryClient.setQueryData(key, data));
        options.onError?.(error, variables);
      },
      onSuccess: (data, variables) => {
        const fresh = new Map(
          answered(data)
            .filter(Boolean)
            .map((item) => [item.id, item]),
        );
        if (fresh.size) {
          patchCached(queryClient, keys, fresh.keys(), (item) => ({
            ...fresh.get(item.id),
            _optimistic: false,
          }));
        }
        options.onSuccess?.(data, variables);
      },
      onSettled: () => queryClient.invalidateQueries({ queryKey: invalidate }),
    });
  };
}
