import { localToUtcIso, toDateInput, toTimeInput } from '@/lib/format';

/** Default window: starting at the next full hour (at least 15 minutes away), two hours long. */
export function defaultWindow(now = new Date()) {
  const start = new Date(now);
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 1);
  if (start.getTime() - now.getTime() < 15 * 60_000) start.setHours(start.getHours() + 1);
  return { date: toDateInput(start), time: toTimeInput(start), hours: '2' };
}

/** Field errors for the booking form against the lab's limits. */
export function validateBooking(values, limits, now = new Date()) {
  const errors = {};
  const start = values.date && values.time ? new Date(`${values.date}T${values.time}`) : null;
  if (!values.date) errors.date = 'Pick a date.';
  if (!values.time) errors.time = 'Pick a start time.';
  if (start && Number.isNaN(start.getTime())) errors.date = 'That date is not valid.';
  else if (start && start.getTime() <= now.getTime())
    errors.time = 'The start must be in the future.';
  else if (start && limits?.horizon_days) {
    const horizon = new Date(now.getTime() + limits.horizon_days * 86_400_000);
    if (start > horizon) errors.date = `Bookings open at most ${limits.horizon_days} days ahead.`;
  }

  const hours = Number(values.hours);
  if (!values.hours || !Number.isFinite(hours) || hours <= 0)
    errors.hours = 'Enter how many hours you need.';
  else if (limits?.max_duration_hours && hours > limits.max_duration_hours)
    errors.hours = `At most ${limits.max_duration_hours} hours per booking.`;
  else if (Math.round(hours * 60) < 15) errors.hours = 'At least 15 minutes.';

  const checkCount = (name, value, max, { min = 1, label, integer = true }) => {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n)) errors[name] = `Enter the ${label}.`;
    else if (integer && !Number.isInteger(n)) errors[name] = `Use a whole number of ${label}.`;
    else if (n < min) errors[name] = `At least ${min} ${label}.`;
    else if (max != null && n > max) errors[name] = `The lab allows at most ${max} ${label}.`;
  };
  checkCount('cpu', values.cpu, limits?.max_cpu_cores, { label: 'CPU cores' });
  checkCount('memory', values.memory, limits?.max_memory_gb, {
    label: 'GB of memory',
    integer: false,
  });
  checkCount('gpu', values.gpu, limits?.max_gpu_count, { min: 0, label: 'GPUs' });
  if (values.purpose && values.purpose.length > 500)
    errors.purpose = 'Keep the purpose under 500 characters.';
  return errors;
}

/** The API payload: UTC ISO times and numbers. */
export function toBookingRequest(values) {
  const start_time = localToUtcIso(values.date, values.time);
  const startMs = new Date(start_time).getTime();
  const end_time = new Date(startMs + Math.round(Number(values.hours) * 60) * 60_000)
    .toISOString()
    .replace(/\.\d{3}Z$/, '+00:00');
  return {
    start_time,
    end_time,
    cpu_cores: Number(values.cpu),
    memory_gb: Number(values.memory),
    gpu_count: Number(values.gpu),
  };
}

/** Map API field names back to the form's. */
export const API_FIELD_TO_FORM = {
  start_time: 'time',
  end_time: 'hours',
  cpu_cores: 'cpu',
  memory_gb: 'memory',
  gpu_count: 'gpu',
  image: 'image',
  purpose: 'purpose',
};
