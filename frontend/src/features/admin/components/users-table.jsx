import { keepPreviousData } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardHeader, EmptyState, ErrorState } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Pagination } from '@/components/ui/pagination';
import { LoadingBlock } from '@/components/ui/spinner';
import { toast } from '@/components/ui/toast';
import { useAuth } from '@/lib/auth';
import { formatDate, formatDateTime, plural } from '@/lib/format';
import { POLL_MS } from '@/lib/query-client';
import { useDebounced } from '@/lib/use-now';
import { useUsers } from '../api/get-users';
import { useSetUserStatus } from '../api/set-user-status';
import { SetPasswordButton } from './set-password-button';
import { UserPolicySelect } from './user-policy-select';

const PER_PAGE = 20;

export function UsersTable() {
  const { user: me } = useAuth();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [confirming, setConfirming] = useState(null); // the user about to be disabled
  const q = useDebounced(search.trim(), 350);
  const users = useUsers(
    { q, page, perPage: PER_PAGE },
    { staleTime: 10_000, meta: {}, refetchInterval: POLL_MS, placeholderData: keepPreviousData },
  );
  const items = users.data?.items || [];

  const setStatus = useSetUserStatus({
    onSuccess: (u) =>
      toast.success(
        u.is_active
          ? `${u.username} can sign in again.`
          : `${u.username} is disabled; their pending and approved bookings were cancelled.`,
      ),
    onError: (error, { username, isActive }) =>
      toast.error(`Could not ${isActive ? 'enable' : 'disable'} ${username}: ${error.message}`),
  });
  const change = (u, isActive) => setStatus.mutate({ id: u.id, username: u.username, isActive });

  return (
    <Card aria-labelledby="users-title">
      <CardHeader
        id="users-title"
        title="Accounts"
        refreshing={users.isFetching && !users.isPending}
        description={
          users.data
            ? plural(users.data.total, 'account') + (q ? ' match' : ' in total')
            : undefined
        }
      />

      <div
        role="search"
        aria-label="Search users"
        className="border-b border-slate-100 px-4 py-3 sm:px-5"
      >
        <label className="block max-w-sm text-xs font-medium text-slate-500">
          <span className="mb-1 block">Search by username or email</span>
          <input
            type="search"
            value={search}
            onChange={(event) => {
              setSearch(event.target.value);
              setPage(1);
            }}
            placeholder="e.g. alice or @uni.example"
            className="block w-full rounded-lg border-0 bg-white px-2.5 py-1.5 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-500 focus:outline-none"
          />
        </label>
      </div>

      {users.isPending ? (
        <LoadingBlock label="Loading users…" />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={users.refetch} />
      ) : items.length === 0 ? (
        <EmptyState
          title={q ? `No accounts match “${q}”` : 'No accounts yet'}
          description={q ? 'Try part of a username or an email domain.' : undefined}
        />
      ) : (
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm">
            <caption className="sr-only">User accounts</caption>
            <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="py-2.5 pr-3 pl-4 sm:pl-5">
                  User
                </th>
                <th scope="col" className="hidden px-3 py-2.5 md:table-cell">
                  Email
                </th>
                <th scope="col" className="hidden px-3 py-2.5 sm:table-cell">
                  Role
                </th>
                <th scope="col" className="px-3 py-2.5">
                  Status
                </th>
                <th scope="col" className="hidden px-3 py-2.5 sm:table-cell">
                  Policy
                </th>
                <th scope="col" className="hidden px-3 py-2.5 lg:table-cell">
                  Created
                </th>
                <th scope="col" className="py-2.5 pr-4 pl-3 text-right sm:pr-5">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {items.map((u) => {
                const self = u.id === me?.id;
                return (
                  <tr
                    key={u.id}
                    className={cn(
                      'align-top transition-colors hover:bg-slate-50/70',
                      u._optimistic && 'opacity-70',
                    )}
                  >
                    <th scope="row" className="py-3 pr-3 pl-4 text-left font-normal sm:pl-5">
                      <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
                        <span className="font-semibold break-all text-slate-900">{u.username}</span>
                        {self && (
                          <span className="rounded bg-indigo-50 px-1.5 text-[11px] font-semibold text-indigo-700">
                            you
                          </span>
                        )}
                        <RoleBadge role={u.role} className="sm:hidden" />
                      </span>
                      <span className="mt-0.5 block text-xs break-all text-slate-500 md:hidden">
                        {u.email}
                      </span>
                      <span className="mt-0.5 block text-xs text-slate-400 lg:hidden">
                        Joined {formatDate(u.created_at)}
                      </span>
                      {u.role === 'student' && (
                        <span className="mt-1.5 block sm:hidden">
                          <UserPolicySelect user={u} />
                        </span>
                      )}
                    </th>
                    <td className="hidden px-3 py-3 break-all text-slate-600 md:table-cell">
                      {u.email}
                    </td>
                    <td className="hidden px-3 py-3 sm:table-cell">
                      <RoleBadge role={u.role} />
                    </td>
                    <td className="px-3 py-3">
                      <AccountBadge active={u.is_active} />
                    </td>
                    <td className="hidden px-3 py-3 sm:table-cell">
                      {u.role === 'student' ? (
                        <UserPolicySelect user={u} />
                      ) : (
                        <span className="text-xs text-slate-400">—</span>
                      )}
                    </td>
                    <td
                      className="hidden px-3 py-3 whitespace-nowrap text-slate-500 lg:table-cell"
                      title={formatDateTime(u.created_at)}
                    >
                      {formatDate(u.created_at)}
                    </td>
                    <td className="py-3 pr-4 pl-3 text-right sm:pr-5">
                      {!self && <SetPasswordButton user={u} className="mr-2 mb-1.5 sm:mb-0" />}
                      {self ? (
                        <span className="text-xs text-slate-400">Signed in</span>
                      ) : u.is_active ? (
                        <Button
                          size="sm"
                          variant="secondary"
                          disabled={u._optimistic}
                          onClick={() => setConfirming(u)}
                          aria-label={`Disable ${u.username}`}
                        >
                          Disable
                        </Button>
                      ) : (
                        <Button
                          size="sm"
                          variant="secondary"
                          disabled={u._optimistic}
                          onClick={() => change(u, true)}
                          aria-label={`Enable ${u.username}`}
                        >
                          Enable
                        </Button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        page={page}
        perPage={PER_PAGE}
        total={users.data?.total}
        onPage={setPage}
        label="accounts"
      />

      <ConfirmDialog
        open={Boolean(confirming)}
        onClose={() => setConfirming(null)}
        title={`Disable ${confirming?.username}?`}
        description="They are signed out at once and cannot sign in until you enable the account again."
        confirmLabel="Disable account"
        cancelLabel="Keep active"
        onConfirm={() => {
          change(confirming, false);
          setConfirming(null);
        }}
      >
        <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200">
          Their <strong>pending and approved bookings will be cancelled</strong>. Sessions that are
          already running keep running.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

function RoleBadge({ role, className }) {
  return (
    <span
      className={cn(
        'inline-flex rounded-full px-2 py-0.5 text-xs font-medium capitalize ring-1 ring-inset',
        role === 'admin'
          ? 'bg-indigo-50 text-indigo-700 ring-indigo-600/20'
          : 'bg-slate-50 text-slate-600 ring-slate-500/20',
        className,
      )}
    >
      {role}
    </span>
  );
}

function AccountBadge({ active }) {
  return (
    <span
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset',
        active
          ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/25'
          : 'bg-rose-50 text-rose-800 ring-rose-600/25',
      )}
    >
      <span
        className={cn('size-1.5 rounded-full', active ? 'bg-emerald-500' : 'bg-rose-500')}
        aria-hidden
      />
      {active ? 'Active' : 'Disabled'}
    </span>
  );
}
