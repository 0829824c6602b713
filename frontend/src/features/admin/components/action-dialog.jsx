import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Chip, ChipGroup } from '@/components/ui/chip';
import { Dialog } from '@/components/ui/dialog';
import { FormError, Input, Select, Textarea } from '@/components/ui/field';
import { plural } from '@/lib/format';
import { BOOKING_ACTIONS } from './booking-actions';

const REASONS = [
  'Outside lab hours',
  'Too many resources for this purpose',
  'Please book a shorter window',
  'Node reserved for maintenance',
];
const MINUTES = [30, 60, 120, 240];
const EMPTY = { agentId: '', notes: '', reason: '', note: '', minutes: '60' };

function freeText(agent) {
  const u = agent.usage_now || {};
  const cpu = agent.cpu_cores - (u.cpu_cores || 0);
  const mem = agent.memory_gb - (u.memory_gb || 0);
  const gpu = (agent.gpu_count || 0) - (u.gpu_count || 0);
  return `${cpu} CPU · ${mem} GB${agent.gpu_count ? ` · ${gpu} GPU` : ''} free now`;
}

/** What each field would refuse; the API has the last word on everything else. */
function problems(fields, values) {
  const found = {};
  if (fields.includes('reason') && !values.reason.trim())
    found.reason = 'Give the student a reason.';
  const minutes = Number(values.minutes);
  if (fields.includes('minutes') && (!Number.isInteger(minutes) || minutes < 1))
    found.minutes = 'Enter a whole number of minutes.';
  return found;
}

/** The request body's part that comes from the fields. */
function payload(fields, values) {
  const body = {};
  if (fields.includes('agent') && values.agentId) body.agentId = values.agentId;
  if (fields.includes('notes') && values.notes.trim()) body.notes = values.notes.trim();
  if (fields.includes('reason')) body.reason = values.reason.trim();
  if (fields.includes('note') && values.note.trim()) body.reason = values.note.trim();
  if (fields.includes('minutes')) body.minutes = Number(values.minutes);
  return body;
}

/**
 * The one dialog for every booking action, on one booking or many: the action's fields
 * (from BOOKING_ACTIONS), a problem shown once the field is changed or a submit was tried,
 * the API's refusal at the top. `skipped` counts selected bookings the action leaves out.
 */
export function ActionDialog({
  action,
  ids,
  bulk = false,
  skipped = 0,
  agents = [],
  pending,
  error,
  onClose,
  onSubmit,
}) {
  const config = BOOKING_ACTIONS[action];
  // Notes go with a single approval only; the bulk endpoint takes none.
  const fields = config.fields.filter((f) => !(bulk && f === 'notes'));
  const [values, setValues] = useState(EMPTY);
  const [changed, setChanged] = useState(() => new Set());
  const [tried, setTried] = useState(false);
  const found = problems(fields, values);
  const shown = (name) => (tried || changed.has(name) ? found[name] : undefined);
  const set = (name, value) => {
    setValues((v) => ({ ...v, [name]: value }));
    setChanged((c) => new Set(c).add(name));
  };
  // A field's value, change handler and problem.
  const bind = (name) => ({
    value: values[name],
    onChange: (event) => set(name, event.target.value),
    error: shown(name),
  });
  const subject = ids.length === 1 ? `booking #${ids[0]}` : plural(ids.length, 'booking');
  const leftOut = skipped
    ? ` ${plural(skipped, 'selected booking')} cannot be ${config.done.toLowerCase()} and ${skipped === 1 ? 'is' : 'are'} left out.`
    : '';
  const submitLabel =
    action === 'extend' && !found.minutes
      ? `Extend by ${Number(values.minutes)} min`
      : action === 'cancel'
        ? `Cancel ${subject.replace(/ #\d+$/, '')}`
        : config.label;
  const submit = () => {
    setTried(true);
    if (Object.keys(found).length === 0) onSubmit(payload(fields, values));
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={`${config.label} ${subject}`}
      description={config.description + leftOut}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Close
          </Button>
          <Button variant={config.submitVariant} loading={pending} onClick={submit}>
            {submitLabel}
          </Button>
        </>
      }
    >
      <form
        className="space-y-3"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <FormError error={error} />
        {fields.includes('agent') && (
          <Select label="Node" {...bind('agentId')} data-autofocus>
            <option value="">Automatic (best fit)</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id} disabled={a.status === 'maintenance'}>
                {a.name} — {a.status === 'online' ? freeText(a) : a.status}
              </option>
            ))}
          </Select>
        )}
        {fields.includes('notes') && (
          <Textarea label="Notes (only admins see them)" rows={2} {...bind('notes')} />
        )}
        {fields.includes('reason') && (
          <>
            <Textarea label="Reason" rows={3} {...bind('reason')} required data-autofocus />
            <ChipGroup label="Suggested texts">
              {REASONS.map((r) => (
                <Chip key={r} onClick={() => set('reason', r)}>
                  {r}
                </Chip>
              ))}
            </ChipGroup>
          </>
        )}
        {fields.includes('minutes') && (
          <>
            <Input
              label="Minutes"
              type="number"
              min={1}
              step={15}
              {...bind('minutes')}
              data-autofocus
            />
            <ChipGroup label="Quick extensions">
              {MINUTES.map((m) => (
                <Chip
                  key={m}
                  active={Number(values.minutes) === m}
                  onClick={() => set('minutes', String(m))}
                >
                  +{m >= 60 ? `${m / 60} h` : `${m} min`}
                </Chip>
              ))}
            </ChipGroup>
          </>
        )}
        {fields.includes('note') && (
          <Textarea label="Note (optional, only admins see it)" rows={2} {...bind('note')} />
        )}
      </form>
    </Dialog>
  );
}
