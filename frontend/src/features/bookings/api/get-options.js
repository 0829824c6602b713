import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

export async function getOptions() {
  const { data } = await api.get('/student/options');
  return data;
}

export const optionsQuery = () =>
  queryOptions({ queryKey: studentKeys.options(), queryFn: getOptions, staleTime: 5 * 60_000 });

/** The images, presets and the `limits` the API enforces on a booking request. */
export function useOptions() {
  return useQuery(optionsQuery());
}
