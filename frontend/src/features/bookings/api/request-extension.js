import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { studentKeys } from './query-keys';

/** Ask for a later end: `{minutes}` or `{end_time}`, with an optional reason. */
export async function requestExtension({ id, minutes, endTime, reason }) {
  const body = endTime ? { end_time: endTime } : { minutes };
  if (reason) body.reason = reason;
  const { data } = await api.post(`/student/bookings/${id}/extend`, body);
  return data;
}

/**
 * The answer is the request: `granted` (the booking already ends later) or `pending`
 * (with `review_reason`, waiting for an admin). Either way the bookings, usage and
 * requests are refetched.
 */
export function useRequestExtension(options = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: requestExtension,
    ...options,
    onSettled: (...args) => {
      queryClient.invalidateQueries({ queryKey: studentKeys.all });
      options.onSettled?.(...args);
    },
  });
}
