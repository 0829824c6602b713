import { Card, CardHeader, ErrorState } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { LoadingBlock } from '@/components/ui/spinner';
import {
  formatDateTime,
  formatRelative,
  formatSecondsAgo,
  localTimeZone,
  plural,
} from '@/lib/format';
import { useNow } from '@/lib/use-now';
import { useScheduler } from '../api/get-scheduler';
import { MailBacklog } from './mail-backlog';

const NEXT_SHOWN = 5;
// A leader that has not renewed its lease for this long has probably stopped.
const STALE_HEARTBEAT_MS = 60_000;

/** "every 1 s", "every 15 s", "every 1 min". */
export function formatInterval(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return '';
  if (s < 60) return `every ${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  const minutes = s / 60;
  return `every ${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} min`;
}

export function SchedulerPanel() {
  const scheduler = useScheduler();
  const data = scheduler.data;
  return (
    <Card aria-labelledby="scheduler-title">
      <CardHeader
        id="scheduler-title"
        title="Scheduler"
        description="Starts, stops and wakes bookings on time."
        actions={data && <EnabledBadge enabled={data.enabled} />}
      />
      {scheduler.isPending ? (
        <LoadingBlock label="Loading the scheduler…" />
      ) : scheduler.isError ? (
        <ErrorState error={scheduler.error} onRetry={scheduler.refetch} />
      ) : !data.enabled ? (
        <Disabled waiting={data.next_actions?.starts?.length ?? 0} />
      ) : (
        <div className="space-y-5 p-4 sm:p-5">
          <Leader leader={data.leader} thisProcess={data.this_process} />
          <Jobs jobs={data.jobs || []} />
          <NextActions actions={data.next_actions || {}} />
          <MailBacklog mail={data.mail} />
        </div>
      )}
    </Card>
  );
}

function EnabledBadge({ enabled }) {
  return (
    <span
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset',
        enabled
          ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/25'
          : 'bg-slate-100 text-slate-700 ring-slate-500/25',
      )}
    >
      <span
        className={cn('size-1.5 rounded-full', enabled ? 'bg-emerald-500' : 'bg-slate-400')}
        aria-hidden
      />
      {enabled ? 'Enabled' : 'Off'}
    </span>
  );
}

function Disabled({ waiting }) {
  return (
    <div className="flex flex-col items-center px-6 py-8 text-center" role="status">
      <div
        className="mb-3 flex size-12 items-center justify-center rounded-full bg-slate-100 text-slate-400"
        aria-hidden
      >
        <svg
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.8"
          className="size-6"
        >
          <circle cx="12" cy="12" r="8" />
          <path d="M10 9v6M14 9v6" strokeLinecap="round" />
        </svg>
      </div>
      <p className="text-sm font-semibold text-slate-800">The scheduler is off</p>
      <p className="mt-1 max-w-md text-sm text-slate-500">
        This controller runs with <code className="text-xs">SCHEDULER_ENABLED=false</code>: approved
        bookings are not started, running ones are not stopped and nodes are not woken
        automatically.
      </p>
      {waiting > 0 && (
        <p className="mt-2 text-sm font-medium text-amber-800">
          {plural(waiting, 'approved booking')} {waiting === 1 ? 'is' : 'are'} waiting to start.
        </p>
      )}
    </div>
  );
}

function Leader({ leader, thisProcess }) {
  const now = useNow(1000);
  if (!leader) {
    return (
      <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200">
        No leader yet: no controller holds the scheduler lease, so no jobs run.
      </p>
    );
  }
  const stale = now - new Date(leader.heartbeat_at).getTime() > STALE_HEARTBEAT_MS;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm sm:grid-cols-[auto_1fr_auto_1fr_auto_1fr]">
      <dt className="text-slate-500">Leader</dt>
      <dd
        className="min-w-0 truncate font-mono text-xs leading-5 text-slate-900"
        title={leader.holder}
      >
        {leader.holder}
        {thisProcess?.is_leader && (
          <span className="ml-1.5 rounded bg-indigo-50 px-1.5 font-sans text-[11px] font-semibold text-indigo-700">
            this controller
          </span>
        )}
      </dd>
      <dt className="text-slate-500">Since</dt>
      <dd className="text-slate-700">
        <time dateTime={leader.since}>{formatDateTime(leader.since)}</time>
      </dd>
      <dt className="text-slate-500">Heartbeat</dt>
      <dd className={cn('tabular-nums', stale ? 'font-medium text-rose-700' : 'text-slate-700')}>
        <time dateTime={leader.heartbeat_at} title={formatDateTime(leader.heartbeat_at)}>
          {formatSecondsAgo(leader.heartbeat_at, now)}
        </time>
        {stale && ' (stale)'}
      </dd>
    </dl>
  );
}

function Jobs({ jobs }) {
  const now = useNow(30_000);
  return (
    <section aria-labelledby="scheduler-jobs">
      <h3 id="scheduler-jobs" className="mb-2 text-sm font-semibold text-slate-900">
        Jobs
      </h3>
      <ul className="grid gap-2 sm:grid-cols-2 xl:grid-cols-4">
        {jobs.map((job) => (
          <li
            key={job.name}
            aria-label={`Job ${job.name}`}
            className="rounded-xl p-3 ring-1 ring-slate-200/80"
          >
            <div className="flex items-center justify-between gap-2">
              <span className="font-mono text-sm font-semibold text-slate-900">{job.name}</span>
              <JobBadge ok={job.last_ok} />
            </div>
            <dl className="mt-2 grid grid-cols-2 gap-x-3 gap-y-0.5 text-xs">
              <dt className="text-slate-500">Interval</dt>
              <dd className="text-slate-700">{formatInterval(job.interval_seconds)}</dd>
              <dt className="text-slate-500">Last run</dt>
              <dd
                className="text-slate-700"
                title={job.last_started_at ? formatDateTime(job.last_started_at) : undefined}
              >
                {formatRelative(job.last_started_at, now)}
              </dd>
              <dt className="text-slate-500">Runs</dt>
              <dd className="text-slate-700 tabular-nums">{job.runs ?? 0}</dd>
            </dl>
            {job.last_ok === false && job.last_error && (
              <p className="mt-2 rounded-md bg-rose-50 px-2 py-1 font-mono text-xs break-words text-rose-800">
                {job.last_error}
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function JobBadge({ ok }) {
  const [label, style] =
    ok === true
      ? ['OK', 'bg-emerald-50 text-emerald-800 ring-emerald-600/25']
      : ok === false
        ? ['Error', 'bg-rose-50 text-rose-800 ring-rose-600/25']
        : ['Not run yet', 'bg-slate-100 text-slate-600 ring-slate-500/20'];
  return (
    <span
      className={cn(
        'rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset',
        style,
      )}
    >
      {label}
    </span>
  );
}

const ACTION_LISTS = [
  ['starts', 'Next starts'],
  ['stops', 'Next stops'],
  ['wakes', 'Next wakes'],
];

function NextActions({ actions }) {
  return (
    <section aria-labelledby="scheduler-next">
      <h3 id="scheduler-next" className="mb-2 text-sm font-semibold text-slate-900">
        Coming up <span className="font-normal text-slate-500">({localTimeZone()})</span>
      </h3>
      <div className="grid gap-3 md:grid-cols-3">
        {ACTION_LISTS.map(([key, title]) => {
          const list = actions[key] || [];
          return (
            <section key={key} aria-label={title} className="rounded-xl bg-slate-50 p-3">
              <h4 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
                {title}
              </h4>
              {list.length === 0 ? (
                <p className="mt-1.5 text-sm text-slate-400">Nothing planned</p>
              ) : (
                <ul className="mt-1.5 space-y-1.5 text-sm">
                  {list.slice(0, NEXT_SHOWN).map((a) => (
                    <li key={`${a.booking_id}-${a.at}`} className="min-w-0">
                      <span className="flex flex-wrap items-baseline gap-x-2">
                        <span className="font-semibold text-slate-900">#{a.booking_id}</span>
                        <time dateTime={a.at} className="text-slate-700">
                          {formatDateTime(a.at)}
                        </time>
                        <span className="text-slate-500">{a.agent || 'no node'}</span>
                      </span>
                      {a.attempts > 0 && (
                        <span className="block text-xs text-amber-800">
                          {plural(a.attempts, 'attempt')} so far
                          {a.last_error ? `: ${a.last_error}` : ''}
                        </span>
                      )}
                    </li>
                  ))}
                  {list.length > NEXT_SHOWN && (
                    <li className="text-xs text-slate-500">+{list.length - NEXT_SHOWN} more</li>
                  )}
                </ul>
              )}
            </section>
          );
        })}
      </div>
    </section>
  );
}
