import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { FormError, Input } from '@/components/ui/field';
import { fieldErrors } from '@/lib/api-client';
import { useCreateAgent } from '../api/create-agent';

const EMPTY = {
  name: '',
  url: '',
  token: '',
  cpu_cores: '',
  memory_gb: '',
  gpu_count: '0',
  mac_address: '',
  broadcast_address: '',
  wol_port: '',
  tags: '',
};

const MAC = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;

export function validateNode(v) {
  const e = {};
  if (!v.name.trim()) e.name = 'Give the node a name.';
  else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v.name.trim()))
    e.name = 'Start with a letter or digit; then letters, digits, _ . -';
  if (!v.url.trim()) e.url = "Enter the agent's URL.";
  else if (!/^https?:\/\/\S+$/.test(v.url.trim())) e.url = 'Use an http:// or https:// URL.';
  const positive = (key, label, { allowZero = false, integer = true } = {}) => {
    const n = Number(v[key]);
    if (v[key] === '' && !allowZero) e[key] = `Enter the ${label}.`;
    else if (
      v[key] !== '' &&
      (!Number.isFinite(n) || n < (allowZero ? 0 : 1) || (integer && !Number.isInteger(n)))
    )
      e[key] =
        `Enter a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'whole ' : ''}number.`;
  };
  positive('cpu_cores', 'number of CPU cores');
  positive('memory_gb', 'memory in GB', { integer: false });
  positive('gpu_count', 'number of GPUs', { allowZero: true });
  if (v.token && v.token.length < 8) e.token = 'Tokens have at least 8 characters.';
  const badTag = v.tags
    .split(',')
    .map((t) => t.trim())
    .find((t) => t && !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$/.test(t));
  if (badTag) e.tags = `"${badTag}" is not a valid tag (letters, digits, _ . : -).`;
  if (v.mac_address && !MAC.test(v.mac_address.trim()))
    e.mac_address = 'Use the form aa:bb:cc:dd:ee:ff.';
  if (v.wol_port && !(Number(v.wol_port) >= 1 && Number(v.wol_port) <= 65535))
    e.wol_port = 'A port from 1 to 65535.';
  return e;
}

function toPayload(v) {
  const payload = {
    name: v.name.trim(),
    url: v.url.trim(),
    cpu_cores: Number(v.cpu_cores),
    memory_gb: Number(v.memory_gb),
    gpu_count: Number(v.gpu_count || 0),
  };
  if (v.token) payload.token = v.token;
  if (v.mac_address) payload.mac_address = v.mac_address.trim();
  if (v.broadcast_address) payload.broadcast_address = v.broadcast_address.trim();
  if (v.wol_port) payload.wol_port = Number(v.wol_port);
  const tags = v.tags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tags.length) payload.tags = tags;
  return payload;
}

export function RegisterNodeForm({ onDone }) {
  const [values, setValues] = useState(EMPTY);
  const [dirty, setDirty] = useState({});
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState({});
  const create = useCreateAgent({
    onSuccess: (agent) => {
      setValues(EMPTY);
      setDirty({});
      setSubmitted(false);
      onDone?.(agent);
    },
    onError: (error) => setServerErrors(fieldErrors(error)),
  });
  const errors = validateNode(values);
  const bind = (name) => ({
    value: values[name],
    onChange: (event) => {
      const value = event.target.value;
      setValues((v) => ({ ...v, [name]: value }));
      setDirty((d) => ({ ...d, [name]: true }));
      setServerErrors((s) => ({ ...s, [name]: undefined }));
    },
    error: serverErrors[name] || ((dirty[name] || submitted) && errors[name]) || undefined,
  });

  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        setSubmitted(true);
        if (Object.keys(errors).length) return;
        create.mutate(toPayload(values));
      }}
      className="space-y-4"
    >
      <FormError error={create.error} fields={Object.keys(EMPTY)} />
      <div className="grid gap-3 sm:grid-cols-2">
        <Input label="Name" placeholder="gpu-node-01" required {...bind('name')} />
        <Input label="Agent URL" placeholder="http://10.0.0.21:9000" required {...bind('url')} />
        <Input label="CPU cores" type="number" min={1} required {...bind('cpu_cores')} />
        <Input label="Memory (GB)" type="number" min={1} required {...bind('memory_gb')} />
        <Input label="GPUs" type="number" min={0} {...bind('gpu_count')} />
        <Input
          label="Agent token"
          type="password"
          autoComplete="off"
          hint="Optional shared secret"
          {...bind('token')}
        />
      </div>
      <details className="rounded-lg bg-slate-50 px-3 py-2">
        <summary className="cursor-pointer text-sm font-medium text-slate-700">
          Wake-on-LAN and tags
        </summary>
        <div className="mt-3 grid gap-3 sm:grid-cols-2">
          <Input label="MAC address" placeholder="aa:bb:cc:dd:ee:ff" {...bind('mac_address')} />
          <Input
            label="Broadcast address"
            placeholder="10.0.0.255"
            {...bind('broadcast_address')}
          />
          <Input label="WoL port" type="number" placeholder="9" {...bind('wol_port')} />
          <Input
            label="Tags"
            placeholder="a100, fast-disk"
            hint="Comma separated"
            {...bind('tags')}
          />
        </div>
      </details>
      <div className="flex justify-end gap-2">
        {onDone && (
          <Button variant="secondary" onClick={() => onDone(null)}>
            Close
          </Button>
        )}
        <Button type="submit" loading={create.isPending}>
          Register node
        </Button>
      </div>
    </form>
  );
}
