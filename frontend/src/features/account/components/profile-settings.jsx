import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardHeader } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';
import { FormError, Input, Select } from '@/components/ui/field';
import { fieldErrors } from '@/lib/api-client';
import { useAuth } from '@/lib/auth';
import {
  changePassword,
  useCalendarFeeds,
  useNotifications,
  useRegenerateFeed,
  useRegenerateLabFeed,
  useSetNotifications,
} from '../api/account';

/** Which emails one gets: one switch per category the API lists. */
export function NotificationSettings() {
  const prefs = useNotifications();
  const save = useSetNotifications();
  const data = prefs.data;
  return (
    <Card aria-labelledby="notif-title">
      <CardHeader
        id="notif-title"
        title="Email notifications"
        description={
          data && !data.email_enabled
            ? 'This lab does not send email yet; your choices apply once it does.'
            : 'Choose which emails you get.'
        }
      />
      <ul className="divide-y divide-slate-100">
        {(data?.categories || []).map((c) => (
          <li
            key={c.category}
            className="flex items-center justify-between gap-3 px-4 py-2.5 sm:px-5"
          >
            <label htmlFor={`notif-${c.category}`} className="text-sm text-slate-700">
              {c.label}
            </label>
            <input
              id={`notif-${c.category}`}
              type="checkbox"
              className="size-4 accent-indigo-600"
              checked={c.email}
              onChange={(e) => save.mutate({ [c.category]: e.target.checked })}
            />
          </li>
        ))}
      </ul>
      <FormError error={save.error} />
    </Card>
  );
}

/** The secret calendar URL: shown once when made; making it again revokes the old one. */
export function CalendarFeedSettings() {
  const feeds = useCalendarFeeds();
  const regenerate = useRegenerateFeed();
  // Absolute, for calendar apps, also when the API answers a path (PUBLIC_URL unset).
  const url = regenerate.data?.url
    ? new URL(regenerate.data.url, window.location.origin).href
    : null;
  const existing = feeds.data?.items?.find((f) => f.scope === 'user');
  return (
    <Card aria-labelledby="feed-title">
      <CardHeader
        id="feed-title"
        title="Calendar feed"
        description="Subscribe to your bookings in Google, Outlook or Apple Calendar."
      />
      <div className="space-y-3 px-4 py-3 text-sm sm:px-5">
        {url ? (
          <div className="space-y-2">
            <p className="text-slate-700">Your secret URL (shown only now; keep it private):</p>
            <div className="flex flex-wrap items-center gap-2">
              <code className="min-w-0 flex-1 break-all rounded bg-slate-100 px-2 py-1 text-xs">
                {url}
              </code>
              <CopyButton text={url} label="Copy URL" />
            </div>
          </div>
        ) : (
          <p className="text-slate-600">
            {existing
              ? `You made a calendar URL on ${new Date(existing.created_at).toLocaleDateString()}. Make a new one to see it again; the old one then stops working.`
              : 'You have no calendar URL yet.'}
          </p>
        )}
        <Button
          variant="secondary"
          size="sm"
          loading={regenerate.isPending}
          onClick={() => regenerate.mutate()}
        >
          {existing || url ? 'Make a new URL (revokes the old one)' : 'Make my calendar URL'}
        </Button>
        <FormError error={regenerate.error} />
      </div>
    </Card>
  );
}

export function ChangePasswordForm() {
  const { startSession } = useAuth();
  const [values, setValues] = useState({ current: '', next: '' });
  const [state, setState] = useState({ pending: false, error: null, done: false });
  const errors = fieldErrors(state.error);
  const submit = async (event) => {
    event.preventDefault();
    setState({ pending: true, error: null, done: false });
    try {
      const session = await changePassword({
        currentPassword: values.current,
        newPassword: values.next,
      });
      startSession(session); // the old tokens are revoked; these are the new ones
      setValues({ current: '', next: '' });
      setState({ pending: false, error: null, done: true });
    } catch (error) {
      setState({ pending: false, error, done: false });
    }
  };
  return (
    <Card aria-labelledby="pw-title">
      <CardHeader
        id="pw-title"
        title="Change password"
        description="Your other sessions are signed out."
      />
      <form onSubmit={submit} noValidate className="space-y-3 px-4 py-3 sm:px-5">
        <FormError error={state.error} fields={['current_password', 'new_password']} />
        {state.done && (
          <p role="status" className="rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
            Password changed.
          </p>
        )}
        <Input
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={values.current}
          error={errors.current_password}
          onChange={(e) => setValues((v) => ({ ...v, current: e.target.value }))}
        />
        <Input
          label="New password"
          type="password"
          autoComplete="new-password"
          value={values.next}
          error={errors.new_password}
          onChange={(e) => setValues((v) => ({ ...v, next: e.target.value }))}
        />
        <Button type="submit" loading={state.pending}>
          Change password
        </Button>
      </form>
    </Card>
  );
}

/** Admins: the whole lab's calendar (every booking that holds or asks for
 * capacity), or one node's. `nodes`: [{id, name}] to choose from. */
export function LabFeedSettings({ nodes = [] }) {
  const regenerate = useRegenerateLabFeed();
  const [target, setTarget] = useState('lab');
  const url = regenerate.data?.url
    ? new URL(regenerate.data.url, window.location.origin).href
    : null;
  const make = () =>
    regenerate.mutate(
      target === 'lab' ? { scope: 'lab' } : { scope: 'node', agentId: Number(target) },
    );
  return (
    <Card aria-labelledby="lab-feed-title">
      <CardHeader
        id="lab-feed-title"
        title="Lab calendar feed"
        description="Every pending, approved and running booking, with its owner: the whole lab or one node."
      />
      <div className="space-y-3 px-4 py-3 text-sm sm:px-5">
        {url && (
          <div className="flex flex-wrap items-center gap-2">
            <code className="min-w-0 flex-1 rounded bg-slate-100 px-2 py-1 text-xs break-all">
              {url}
            </code>
            <CopyButton text={url} label="Copy URL" />
          </div>
        )}
        <div className="flex flex-wrap items-end gap-2">
          <Select
            label="Feed of"
            className="min-w-48 flex-1"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
          >
            <option value="lab">The whole lab</option>
            {nodes.map((n) => (
              <option key={n.id} value={String(n.id)}>
                Node {n.name}
              </option>
            ))}
          </Select>
          <Button variant="secondary" size="sm" loading={regenerate.isPending} onClick={make}>
            Make a new URL (revokes the old one)
          </Button>
        </div>
        <FormError error={regenerate.error} />
      </div>
    </Card>
  );
}
