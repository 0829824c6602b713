import { QueryCache, QueryClient } from '@tanstack/react-query';
import { toast } from '@/components/ui/toast';

export const POLL_MS = 30_000;

/** Queries refetch every 30 s while the tab is visible (refetchIntervalInBackground: false). */
export function createQueryClient({ silent = false } = {}) {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (silent || query.meta?.silent || error?.status === 401) return;
        // Only toast when there was data already: a first-load error is shown in place.
        if (query.state.data !== undefined) toast.error(`Could not refresh: ${error.message}`);
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: true,
        refetchIntervalInBackground: false,
        retry: (count, error) => (error?.status ? error.status >= 500 && count < 2 : count < 2),
      },
      mutations: { retry: false },
    },
  });
}
