import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

export async function getMyExtensionRequests({ page = 1, perPage = 5 } = {}) {
  const { data } = await api.get('/student/extension-requests', {
    params: { page, per_page: perPage },
  });
  return data;
}

export const myExtensionRequestsQuery = (params = {}) =>
  queryOptions({
    queryKey: studentKeys.extensionRequests(params),
    queryFn: () => getMyExtensionRequests(params),
  });

/** The student's requests for more time, newest first, with their outcome. */
export function useMyExtensionRequests(params) {
  return useQuery(myExtensionRequestsQuery(params));
}
