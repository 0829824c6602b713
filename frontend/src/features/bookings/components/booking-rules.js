import { formatDateTime, localToUtcIso, toDateInput, toTimeInput } from '@/lib/format';

/** Default window: starting at the next full hour (at least 15 minutes away), two hours long. */
export function defaultWindow(now = new Date()) {
  const start = new Date(now);
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 1);
  if (start.getTime() - now.getTime() < 15 * 60_000) start.setHours(start.getHours() + 1);
  return { date: toDateInput(start), time: toTimeInput(start), hours: '2' };
}

/** Minutes of a duration given in hours, as the API counts them. */
const toMinutes = (hours) => Math.round(Number(hours) * 60);

/**
 * Field errors for the booking form against `limits`, the figures GET /student/options
 * says the API enforces; the form knows no limit of its own. The horizon bounds the end.
 */
export function validateBooking(values, limits = {}, now = new Date()) {
  const errors = {};
  const start = values.date && values.time ? new Date(`${values.date}T${values.time}`) : null;
  if (!values.date) errors.date = 'Pick a date.';
  if (!values.time) errors.time = 'Pick a start time.';
  if (start && Number.isNaN(start.getTime())) errors.date = 'That date is not valid.';
  else if (start && start.getTime() <= now.getTime())
    errors.time = 'The start must be in the future.';

  const hours = Number(values.hours);
  if (!values.hours || !Number.isFinite(hours) || hours <= 0)
    errors.hours = 'Enter how many hours you need.';
  else if (limits.min_duration_minutes != null && toMinutes(hours) < limits.min_duration_minutes)
    errors.hours = `At least ${limits.min_duration_minutes} minutes.`;
  else if (limits.max_duration_hours != null && hours > limits.max_duration_hours)
    errors.hours = `At most ${limits.max_duration_hours} hours per booking.`;

  if (start && !errors.date && !errors.time && limits.horizon_days != null) {
    const horizon = new Date(now.getTime() + limits.horizon_days * 86_400_000);
    const end = new Date(start.getTime() + toMinutes(hours) * 60_000);
    if (start >= horizon) errors.date = `Bookings open at most ${limits.horizon_days} days ahead.`;
    else if (!errors.hours && end > horizon)
      errors.hours = `A booking must end within ${limits.horizon_days} days: by ${formatDateTime(horizon)}.`;
  }

  const checkAmount = (name, value, { min, max, label, integer = true }) => {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n)) errors[name] = `Enter the ${label}.`;
    else if (integer && !Number.isInteger(n)) errors[name] = `Use a whole number of ${label}.`;
    else if (n < (min ?? 0)) errors[name] = `At least ${min ?? 0} ${label}.`;
    else if (max != null && n > max) errors[name] = `The lab allows at most ${max} ${label}.`;
  };
  checkAmount('cpu', values.cpu, {
    min: limits.min_cpu_cores,
    max: limits.max_cpu_cores,
    label: 'CPU cores',
  });
  checkAmount('memory', values.memory, {
    min: limits.min_memory_gb,
    max: limits.max_memory_gb,
    label: 'GB of memory',
    integer: false,
  });
  checkAmount('gpu', values.gpu, { max: limits.max_gpu_count, label: 'GPUs' });
  // The purpose's length is the API's to check: its 422 lands next to the field.
  return errors;
}

/** The API payload: UTC ISO times and numbers. */
export function toBookingRequest(values) {
  const start_time = localToUtcIso(values.date, values.time);
  const startMs = new Date(start_time).getTime();
  const end_time = new Date(startMs + toMinutes(values.hours) * 60_000)
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
