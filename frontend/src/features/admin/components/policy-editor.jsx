import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardHeader, ErrorState } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { ConfirmDialog } from '@/components/ui/dialog';
import { FormError, Input, Textarea } from '@/components/ui/field';
import { LoadingBlock } from '@/components/ui/spinner';
import { toast } from '@/components/ui/toast';
import { plural } from '@/lib/format';
import { useAutoApproval, useSetAutoApproval } from '../api/auto-approval';
import { usePolicies } from '../api/get-policies';
import { useDeletePolicy, useSavePolicy } from '../api/save-policy';

/** The limits an admin edits, grouped as the form shows them; blank means no limit. */
export const POLICY_SECTIONS = [
  {
    title: 'Weekly quotas',
    fields: [
      { key: 'max_hours_per_week', label: 'Booked hours per week', step: '0.5' },
      { key: 'max_gpu_hours_per_week', label: 'GPU-hours per week', step: '0.5' },
      { key: 'max_open_bookings', label: 'Open bookings at once', step: '1' },
    ],
  },
  {
    title: 'Per booking',
    fields: [
      { key: 'max_cpu_cores', label: 'CPU cores', step: '1' },
      { key: 'max_memory_gb', label: 'Memory (GB)', step: '0.5' },
      { key: 'max_gpu_count', label: 'GPUs', step: '1' },
      { key: 'max_duration_hours', label: 'Duration (hours)', step: '0.5' },
    ],
  },
  {
    title: 'Approved at once up to',
    auto: true,
    fields: [
      { key: 'auto_max_cpu_cores', label: 'CPU cores', step: '1' },
      { key: 'auto_max_memory_gb', label: 'Memory (GB)', step: '0.5' },
      { key: 'auto_max_gpu_count', label: 'GPUs', step: '1' },
      { key: 'auto_max_duration_hours', label: 'Duration (hours)', step: '0.5' },
    ],
  },
];
const LIMIT_KEYS = POLICY_SECTIONS.flatMap((s) => s.fields.map((f) => f.key));
const FORM_KEYS = ['name', 'description', 'auto_approve', ...LIMIT_KEYS];

const NEW_POLICY = { id: null, name: '', description: '', auto_approve: false, is_default: false };

function toForm(policy) {
  const form = { name: policy.name, description: policy.description || '' };
  form.auto_approve = Boolean(policy.auto_approve);
  for (const key of LIMIT_KEYS) form[key] = policy[key] == null ? '' : String(policy[key]);
  return form;
}

/** The form's strings as the API's payload: a blank limit is null (no limit). */
export function toPayload(form) {
  const payload = {
    name: form.name.trim(),
    description: form.description.trim() || null,
    auto_approve: form.auto_approve,
  };
  for (const key of LIMIT_KEYS) {
    const text = String(form[key] ?? '').trim();
    payload[key] = text === '' ? null : Number(text);
  }
  return payload;
}

export function PolicyEditor() {
  const policies = usePolicies();
  const [selectedId, setSelectedId] = useState(undefined); // undefined: the first; null: a new one
  const items = policies.data?.items || [];
  const selected =
    selectedId === null ? NEW_POLICY : items.find((p) => p.id === selectedId) || items[0];
  return (
    <div className="space-y-5">
      <AutoApprovalSwitch />
      <Card aria-labelledby="policies-title">
        <CardHeader
          id="policies-title"
          title="Policies"
          description="What students may book. The default applies to everyone without a named policy."
          actions={
            <Button size="sm" onClick={() => setSelectedId(null)}>
              New policy
            </Button>
          }
        />
        {policies.isPending ? (
          <LoadingBlock label="Loading policies…" />
        ) : policies.isError ? (
          <ErrorState error={policies.error} onRetry={policies.refetch} />
        ) : (
          <div className="grid gap-0 lg:grid-cols-[16rem_minmax(0,1fr)]">
            <ul
              aria-label="Policies"
              className="flex gap-2 overflow-x-auto border-b border-slate-100 p-3 lg:flex-col lg:border-r lg:border-b-0"
            >
              {items.map((p) => (
                <li key={p.id} className="shrink-0">
                  <button
                    type="button"
                    aria-current={selected?.id === p.id ? 'true' : undefined}
                    onClick={() => setSelectedId(p.id)}
                    className={cn(
                      'w-full rounded-lg px-3 py-2 text-left text-sm ring-1 ring-transparent',
                      selected?.id === p.id
                        ? 'bg-indigo-50 text-indigo-900 ring-indigo-200'
                        : 'text-slate-700 hover:bg-slate-50',
                    )}
                  >
                    <span className="block font-semibold">
                      {p.name}
                      {p.is_default && (
                        <span className="ml-1.5 rounded bg-slate-100 px-1.5 py-0.5 text-[10px] font-semibold text-slate-600 uppercase">
                          default
                        </span>
                      )}
                    </span>
                    <span className="block text-xs text-slate-500">
                      {plural(p.user_count, 'student')}
                      {p.auto_approve ? ' · auto-approves' : ''}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
            {selected && (
              <PolicyForm
                key={selected.id ?? 'new'}
                policy={selected}
                onSaved={(saved) => setSelectedId(saved.id)}
                onDeleted={() => setSelectedId(undefined)}
              />
            )}
          </div>
        )}
      </Card>
    </div>
  );
}

export function PolicyForm({ policy, onSaved, onDeleted }) {
  const [form, setForm] = useState(() => toForm(policy));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const save = useSavePolicy({
    onSuccess: (saved) => {
      toast.success(`Policy ${saved.name} saved.`);
      onSaved?.(saved);
    },
  });
  const remove = useDeletePolicy({
    onSuccess: () => {
      toast.success(`Policy ${policy.name} deleted; its users now have the default.`);
      onDeleted?.();
    },
    onError: (error) => toast.error(`Could not delete: ${error.message}`),
  });
  const fieldErrors = save.error?.details || {};
  const errorOf = (key) =>
    Array.isArray(fieldErrors[key]) ? fieldErrors[key].join(' ') : undefined;
  const set = (key) => (e) =>
    setForm((f) => ({
      ...f,
      [key]: e.target.type === 'checkbox' ? e.target.checked : e.target.value,
    }));

  return (
    <form
      aria-label={policy.id ? `Edit policy ${policy.name}` : 'New policy'}
      className="space-y-5 p-4 sm:p-5"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ id: policy.id, values: toPayload(form) });
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        <Input
          label="Name"
          required
          maxLength={64}
          value={form.name}
          onChange={set('name')}
          error={errorOf('name')}
        />
        <Textarea
          label="Description"
          rows={1}
          maxLength={500}
          value={form.description}
          onChange={set('description')}
          error={errorOf('description')}
        />
      </div>
      {POLICY_SECTIONS.map((section) => (
        <fieldset key={section.title} className="space-y-2">
          <legend className="text-sm font-semibold text-slate-900">{section.title}</legend>
          {section.auto && (
            <label className="flex items-center gap-2 text-sm text-slate-700">
              <input
                type="checkbox"
                className="size-4 rounded border-slate-300 text-indigo-600"
                checked={form.auto_approve}
                onChange={set('auto_approve')}
              />
              Approve bookings within these bounds at once, on a node with room
            </label>
          )}
          <div className="grid grid-cols-2 items-end gap-3 sm:grid-cols-4">
            {section.fields.map((field) => (
              <Input
                key={field.key}
                label={field.label}
                type="number"
                inputMode="decimal"
                min="0"
                step={field.step}
                placeholder="No limit"
                value={form[field.key]}
                disabled={section.auto && !form.auto_approve}
                onChange={set(field.key)}
                error={errorOf(field.key)}
              />
            ))}
          </div>
        </fieldset>
      ))}
      <p className="text-xs text-slate-500">
        Leave a box empty for no limit. Weeks run from Monday to Sunday in the lab's time zone.
      </p>
      <FormError error={save.error} fields={FORM_KEYS} />
      <div className="flex flex-wrap items-center justify-end gap-2">
        {policy.id && !policy.is_default && (
          <Button
            variant="danger"
            onClick={() => setConfirmDelete(true)}
            loading={remove.isPending}
          >
            Delete
          </Button>
        )}
        <Button type="submit" loading={save.isPending}>
          {policy.id ? 'Save policy' : 'Create policy'}
        </Button>
      </div>
      <ConfirmDialog
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        onConfirm={() => {
          setConfirmDelete(false);
          remove.mutate({ id: policy.id });
        }}
        title={`Delete policy ${policy.name}?`}
        description={`Its ${plural(policy.user_count || 0, 'student')} will have the default policy.`}
        confirmLabel="Delete policy"
        variant="danger"
      />
    </form>
  );
}

/** The lab-wide switch: off, every booking and extension waits for an admin. */
export function AutoApprovalSwitch() {
  const setting = useAutoApproval();
  const change = useSetAutoApproval({
    onSuccess: ({ enabled }) =>
      toast.success(enabled ? 'Auto-approval is on.' : 'Auto-approval is off: admins decide.'),
    onError: (error) => toast.error(`Could not change auto-approval: ${error.message}`),
  });
  const enabled = setting.data?.enabled;
  return (
    <Card className="flex flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-5">
      <div>
        <h2 className="text-base font-semibold text-slate-900" id="auto-approval-label">
          Auto-approval
        </h2>
        <p className="text-sm text-slate-600">
          {enabled === false
            ? 'Off for the whole lab: every booking and extension waits for an admin.'
            : 'Policies that allow it approve bookings and extensions within their bounds at once.'}
        </p>
      </div>
      <button
        type="button"
        role="switch"
        aria-checked={Boolean(enabled)}
        aria-labelledby="auto-approval-label"
        disabled={setting.isPending || change.isPending}
        onClick={() => change.mutate({ enabled: !enabled })}
        className={cn(
          'relative inline-flex h-6 w-11 shrink-0 cursor-pointer rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50',
          enabled ? 'bg-indigo-600' : 'bg-slate-300',
        )}
      >
        <span
          aria-hidden
          className={cn(
            'mt-0.5 inline-block size-5 rounded-full bg-white shadow transition-transform',
            enabled ? 'translate-x-5.5' : 'translate-x-0.5',
          )}
        />
      </button>
    </Card>
  );
}
