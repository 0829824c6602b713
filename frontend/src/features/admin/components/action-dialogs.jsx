import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { FormError, Select, Textarea, Input } from '@/components/ui/field';
import { plural } from '@/lib/format';

function subject(ids) {
  return ids.length === 1 ? `booking #${ids[0]}` : plural(ids.length, 'booking');
}

function freeText(agent) {
  const u = agent.usage_now || {};
  const cpu = agent.cpu_cores - (u.cpu_cores || 0);
  const mem = agent.memory_gb - (u.memory_gb || 0);
  const gpu = (agent.gpu_count || 0) - (u.gpu_count || 0);
  return `${cpu} CPU · ${mem} GB${agent.gpu_count ? ` · ${gpu} GPU` : ''} free now`;
}

export function ApproveDialog({ open, ids, agents = [], onClose, onSubmit, pending, error }) {
  const [agentId, setAgentId] = useState('');
  const [notes, setNotes] = useState('');
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Approve ${subject(ids)}`}
      description="Place it automatically on the best-fitting node, or choose one."
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="success" loading={pending} onClick={() => onSubmit({ agentId, notes })}>
            Approve
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        <FormError error={error} />
        <Select
          label="Node"
          value={agentId}
          onChange={(e) => setAgentId(e.target.value)}
          data-autofocus
        >
          <option value="">Automatic (best fit)</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id} disabled={a.status === 'maintenance'}>
              {a.name} — {a.status === 'online' ? freeText(a) : a.status}
            </option>
          ))}
        </Select>
        {ids.length === 1 && (
          <Textarea
            label="Notes (only admins see them)"
            rows={2}
            value={notes}
            onChange={(e) => setNotes(e.target.value)}
          />
        )}
      </div>
    </Dialog>
  );
}

const REASONS = [
  'Outside lab hours',
  'Too many resources for this purpose',
  'Please book a shorter window',
  'Node reserved for maintenance',
];

export function RejectDialog({ open, ids, onClose, onSubmit, pending, error }) {
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const problem =
    reason.trim().length < 3 ? 'Give the student a reason (at least 3 characters).' : null;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Reject ${subject(ids)}`}
      description="The student sees this reason on their dashboard."
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant="danger"
            loading={pending}
            onClick={() => {
              setTried(true);
              if (!problem) onSubmit({ reason: reason.trim() });
            }}
          >
            Reject
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        <FormError error={error} />
        <Textarea
          label="Reason"
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={(tried || reason) && problem ? problem : undefined}
          required
          data-autofocus
        />
        <div className="flex flex-wrap gap-1.5" role="group" aria-label="Suggested texts">
          {REASONS.map((r) => (
            <button
              key={r}
              type="button"
              onClick={() => setReason(r)}
              className="rounded-full bg-slate-100 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-200"
            >
              {r}
            </button>
          ))}
        </div>
      </div>
    </Dialog>
  );
}

const MINUTES = [30, 60, 120, 240];

export function ExtendDialog({ open, ids, onClose, onSubmit, pending, error }) {
  const [minutes, setMinutes] = useState('60');
  const n = Number(minutes);
  const problem =
    !Number.isInteger(n) || n < 1
      ? 'Enter a whole number of minutes.'
      : n > 7 * 24 * 60
        ? 'At most a week.'
        : null;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Extend ${subject(ids)}`}
      description="Moves the end time later, if the node still has room."
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button
            loading={pending}
            disabled={Boolean(problem)}
            onClick={() => onSubmit({ minutes: n })}
          >
            Extend by {problem ? '…' : `${n} min`}
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        <FormError error={error} />
        <Input
          label="Minutes"
          type="number"
          min={1}
          step={15}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
          error={problem || undefined}
          data-autofocus
        />
        <div className="flex flex-wrap gap-1.5" role="group" aria-label="Quick extensions">
          {MINUTES.map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={n === m}
              onClick={() => setMinutes(String(m))}
              className={`rounded-full px-2.5 py-1 text-xs font-medium ring-1 ring-inset ${
                n === m
                  ? 'bg-indigo-600 text-white ring-indigo-600'
                  : 'bg-white text-slate-600 ring-slate-300'
              }`}
            >
              +{m >= 60 ? `${m / 60} h` : `${m} min`}
            </button>
          ))}
        </div>
      </div>
    </Dialog>
  );
}
