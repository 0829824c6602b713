import { useMemo, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardHeader, ErrorState } from '@/components/ui/card';
import { Chip, ChipGroup } from '@/components/ui/chip';
import { cn } from '@/components/ui/cn';
import { FormError, Input, Select, Textarea } from '@/components/ui/field';
import { Skeleton } from '@/components/ui/spinner';
import { toast } from '@/components/ui/toast';
import { fieldErrors } from '@/lib/api-client';
import { formatDateTime, formatHours, localTimeZone, toDateInput, toTimeInput } from '@/lib/format';
import { useDebounced } from '@/lib/use-now';
import { useAvailability } from '../api/check-availability';
import { useCreateBooking } from '../api/create-booking';
import { useSlots } from '../api/find-slots';
import { useOptions } from '../api/get-options';
import { AvailabilityHint } from './availability-hint';
import { EarliestSlot } from './earliest-slot';
import {
  API_FIELD_TO_FORM,
  defaultWindow,
  toBookingRequest,
  validateBooking,
} from './booking-rules';

const DURATION_CHIPS = [1, 2, 4, 8, 24];

export function BookingForm({ now: nowProp }) {
  const options = useOptions();
  if (options.isPending) {
    return (
      <Card className="space-y-4 p-5">
        <Skeleton className="h-6 w-40" />
        <Skeleton className="h-10" />
        <Skeleton className="h-10" />
        <Skeleton className="h-24" />
      </Card>
    );
  }
  if (options.isError) {
    return (
      <Card>
        <ErrorState error={options.error} onRetry={options.refetch} />
      </Card>
    );
  }
  return <BookingFormInner options={options.data} now={nowProp} />;
}

function BookingFormInner({ options, now: nowProp }) {
  const limits = options.limits || {};
  const presets = options.presets || [];
  const images = options.images || [];
  const [values, setValues] = useState(() => {
    const first = presets[0];
    return {
      ...defaultWindow(nowProp ? new Date(nowProp) : new Date()),
      cpu: String(first?.cpu_cores ?? limits.min_cpu_cores ?? ''),
      memory: String(first?.memory_gb ?? limits.min_memory_gb ?? ''),
      gpu: String(first?.gpu_count ?? 0),
      image: options.default_image || images[0]?.name || '',
      purpose: '',
    };
  });
  const [touched, setTouched] = useState(false);
  const [serverErrors, setServerErrors] = useState({});

  const errors = validateBooking(values, limits, nowProp ? new Date(nowProp) : new Date());
  const valid = Object.keys(errors).length === 0;
  const request = valid ? toBookingRequest(values) : null;
  const requestKey = request ? JSON.stringify(request) : null;
  const debouncedKey = useDebounced(requestKey, 500);
  const debouncedRequest = useMemo(
    () => (debouncedKey ? JSON.parse(debouncedKey) : null),
    [debouncedKey],
  );
  const availability = useAvailability(debouncedRequest);
  // The earliest windows for this size and length, and, when the chosen window has
  // no room, the nearest ones after it (POST /student/slots).
  const slotRequest = (notBefore) =>
    debouncedRequest && {
      cpu_cores: debouncedRequest.cpu_cores,
      memory_gb: debouncedRequest.memory_gb,
      gpu_count: debouncedRequest.gpu_count,
      duration: Math.round(
        (new Date(debouncedRequest.end_time) - new Date(debouncedRequest.start_time)) / 60_000,
      ),
      image: values.image || undefined,
      ...(notBefore ? { not_before: notBefore } : {}),
    };
  const chosenFits = availability.data ? availability.data.available : undefined;
  const earliest = useSlots(slotRequest());
  const nearest = useSlots(chosenFits === false ? slotRequest(debouncedRequest.start_time) : null);
  const pickSlot = (startIso) => {
    const start = new Date(startIso);
    setValues((v) => ({ ...v, date: toDateInput(start), time: toTimeInput(start) }));
    setServerErrors((e) => ({ ...e, date: undefined, time: undefined }));
  };
  const availabilityState = !request
    ? 'invalid'
    : debouncedKey !== requestKey || (availability.isFetching && !availability.data)
      ? 'checking'
      : 'done';

  const create = useCreateBooking({
    onSuccess: (booking) => {
      toast.success(
        `Booking #${booking.id} requested for ${formatDateTime(booking.start_time)}. An admin will review it.`,
      );
      setValues((v) => ({ ...v, purpose: '' }));
      setTouched(false);
    },
    onError: (error) => {
      const mapped = {};
      for (const [field, message] of Object.entries(fieldErrors(error))) {
        mapped[API_FIELD_TO_FORM[field] || field] = message;
      }
      setServerErrors(mapped);
    },
  });

  const set = (name) => (event) => {
    const value = event.target.value;
    setValues((v) => ({ ...v, [name]: value }));
    setServerErrors((e) => ({ ...e, [name]: undefined }));
  };
  const show = (name) =>
    serverErrors[name] || (touched || values[name] !== '' ? errors[name] : undefined);
  const fieldError = (name) => serverErrors[name] || errors[name];

  const submit = (event) => {
    event.preventDefault();
    setTouched(true);
    if (!valid) return;
    create.mutate({
      ...request,
      image: values.image || undefined,
      purpose: values.purpose.trim() || undefined,
    });
  };

  const today = new Date(nowProp || Date.now());
  const maxDate = limits.horizon_days
    ? toDateInput(new Date(today.getTime() + limits.horizon_days * 86_400_000))
    : undefined;
  const activePreset = presets.find(
    (p) =>
      String(p.cpu_cores) === values.cpu &&
      String(p.memory_gb) === values.memory &&
      String(p.gpu_count ?? 0) === values.gpu,
  );
  const endPreview = request ? formatDateTime(request.end_time) : null;

  return (
    <Card aria-labelledby="book-title">
      <CardHeader
        id="book-title"
        title="Book compute time"
        description={`Times are in your time zone (${localTimeZone()}).`}
      />
      <form onSubmit={submit} noValidate className="space-y-5 px-4 py-4 sm:px-5">
        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">When</legend>
          <div className="grid grid-cols-2 gap-3">
            <Input
              label="Date"
              type="date"
              min={toDateInput(today)}
              max={maxDate}
              value={values.date}
              onChange={set('date')}
              error={show('date') && fieldError('date')}
              required
            />
            <Input
              label="Start time"
              type="time"
              step={900}
              value={values.time}
              onChange={set('time')}
              error={show('time') && fieldError('time')}
              required
            />
          </div>
          <div>
            <Input
              label="Duration (hours)"
              type="number"
              step={0.25}
              max={limits.max_duration_hours}
              inputMode="decimal"
              value={values.hours}
              onChange={set('hours')}
              error={show('hours') && fieldError('hours')}
              hint={[endPreview && `Ends ${endPreview}`, durationRange(limits)]
                .filter(Boolean)
                .join(' · ')}
              required
            />
            <ChipGroup label="Quick durations" className="mt-2">
              {DURATION_CHIPS.filter(
                (h) =>
                  h * 60 >= (limits.min_duration_minutes ?? 0) &&
                  h <= (limits.max_duration_hours ?? Infinity),
              ).map((h) => (
                <Chip
                  key={h}
                  active={Number(values.hours) === h}
                  onClick={() => setValues((v) => ({ ...v, hours: String(h) }))}
                >
                  {h} h
                </Chip>
              ))}
            </ChipGroup>
          </div>
        </fieldset>

        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">Resources</legend>
          {presets.length > 0 && (
            <div
              className="grid grid-cols-2 gap-2 sm:grid-cols-3"
              role="group"
              aria-label="Presets"
            >
              {presets.map((p) => {
                const active = activePreset?.name === p.name;
                return (
                  <button
                    key={p.name}
                    type="button"
                    aria-pressed={active}
                    onClick={() =>
                      setValues((v) => ({
                        ...v,
                        cpu: String(p.cpu_cores),
                        memory: String(p.memory_gb),
                        gpu: String(p.gpu_count ?? 0),
                      }))
                    }
                    className={cn(
                      'rounded-xl px-3 py-2 text-left ring-1 transition focus-visible:outline-2 focus-visible:outline-indigo-600',
                      active
                        ? 'bg-indigo-50 ring-2 ring-indigo-500'
                        : 'bg-white ring-slate-200 hover:ring-slate-300',
                    )}
                  >
                    <span className="block text-sm font-semibold text-slate-900 capitalize">
                      {p.name}
                    </span>
                    <span className="block text-xs text-slate-500">
                      {p.cpu_cores} CPU · {p.memory_gb} GB
                      {p.gpu_count ? ` · ${p.gpu_count} GPU` : ''}
                    </span>
                  </button>
                );
              })}
            </div>
          )}
          <div className="grid grid-cols-3 gap-3">
            <Input
              label="CPU cores"
              type="number"
              min={limits.min_cpu_cores}
              max={limits.max_cpu_cores}
              step={1}
              inputMode="numeric"
              value={values.cpu}
              onChange={set('cpu')}
              error={show('cpu') && fieldError('cpu')}
              hint={range(limits.min_cpu_cores, limits.max_cpu_cores)}
            />
            <Input
              label="Memory (GB)"
              type="number"
              min={limits.min_memory_gb}
              max={limits.max_memory_gb}
              step="any"
              inputMode="decimal"
              value={values.memory}
              onChange={set('memory')}
              error={show('memory') && fieldError('memory')}
              hint={range(limits.min_memory_gb, limits.max_memory_gb)}
            />
            <Input
              label="GPUs"
              type="number"
              min={0}
              max={limits.max_gpu_count}
              step={1}
              inputMode="numeric"
              value={values.gpu}
              onChange={set('gpu')}
              error={show('gpu') && fieldError('gpu')}
              hint={range(0, limits.max_gpu_count)}
            />
          </div>
        </fieldset>

        <div className="grid gap-3">
          <Select
            label="Image"
            value={values.image}
            onChange={set('image')}
            error={serverErrors.image}
          >
            {images.map((img) => (
              <option key={img.name} value={img.name} disabled={img.available === false}>
                {img.label && img.label !== img.name ? `${img.label} · ${img.name}` : img.name}
                {img.name === options.default_image ? ' (default)' : ''}
                {img.available === false ? ` — ${img.unavailable_reason || 'not available'}` : ''}
              </option>
            ))}
          </Select>
          <Textarea
            label="Purpose"
            rows={2}
            placeholder="e.g. thesis experiments, course project"
            value={values.purpose}
            onChange={set('purpose')}
            error={show('purpose') && fieldError('purpose')}
          />
        </div>

        <EarliestSlot
          earliest={earliest.data}
          nearest={nearest.data}
          chosenFits={chosenFits}
          onPick={pickSlot}
        />

        <AvailabilityHint
          state={availabilityState}
          data={availability.data}
          error={availability.error}
        />

        {/* Next to the button, where the eye is after submitting. */}
        <FormError error={create.error} fields={Object.keys(API_FIELD_TO_FORM)} />

        <Button type="submit" size="lg" className="w-full sm:w-auto" loading={create.isPending}>
          Request booking
        </Button>
      </form>
    </Card>
  );
}

/** "1–16", or "max 16" when the API gives no minimum. */
function range(min, max) {
  if (max == null) return min != null ? `min ${min}` : undefined;
  return min != null ? `${min}–${max}` : `max ${max}`;
}

/** "15 min – 72 h", the bounds the API puts on a booking's length. */
function durationRange(limits) {
  const min = limits.min_duration_minutes;
  const max = limits.max_duration_hours;
  if (min == null && max == null) return null;
  if (min == null) return `max ${formatHours(max)}`;
  if (max == null) return `min ${formatHours(min / 60)}`;
  return `${formatHours(min / 60)} – ${formatHours(max)}`;
}
