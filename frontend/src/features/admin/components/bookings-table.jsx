import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardHeader, EmptyState, ErrorState } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { Pagination } from '@/components/ui/pagination';
import { LoadingBlock } from '@/components/ui/spinner';
import { BOOKING_STATUSES, StatusBadge } from '@/components/ui/status-badge';
import { toast } from '@/components/ui/toast';
import { formatDateTime, formatRange, localToUtcIso, plural } from '@/lib/format';
import { useDebounced } from '@/lib/use-now';
import { useApproveBooking } from '../api/approve-booking';
import { useBulkAction } from '../api/bulk-action';
import { useAdminCancelBooking } from '../api/cancel-booking';
import { useExtendBooking } from '../api/extend-booking';
import { useAdminBookings } from '../api/get-admin-bookings';
import { useRejectBooking } from '../api/reject-booking';
import { ApproveDialog, ExtendDialog, RejectDialog } from './action-dialogs';
import { BookingDetailsDialog } from './booking-details-dialog';
import { ConfirmDialog } from '@/components/ui/dialog';

const PER_PAGE = 20;
const EMPTY_FILTERS = { status: '', q: '', agent_id: '', from: '', to: '' };

/** Summarise a bulk answer: "Approved 2 of 3. #14: no node fits." */
export function summariseBulk(action, results) {
  const verbs = { approve: 'Approved', reject: 'Rejected', extend: 'Extended' };
  const ok = results.filter((r) => r.ok).length;
  const failed = results.filter((r) => !r.ok);
  const head = `${verbs[action]} ${ok} of ${results.length}.`;
  const tail = failed
    .slice(0, 3)
    .map((r) => `#${r.id}: ${r.error?.message || r.error?.error || 'failed'}`)
    .join(' ');
  return { ok, failed: failed.length, text: tail ? `${head} ${tail}` : head };
}

export function BookingsTable({ agents = [] }) {
  const [filters, setFilters] = useState(EMPTY_FILTERS);
  const [sort, setSort] = useState({ sort: 'created_at', order: 'desc' });
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState(() => new Set());
  const [dialog, setDialog] = useState(null); // {type, ids}
  const [detailsId, setDetailsId] = useState(null);
  const q = useDebounced(filters.q.trim(), 350);

  const params = {
    status: filters.status,
    q,
    agent_id: filters.agent_id,
    start_from: filters.from ? localToUtcIso(filters.from, '00:00') : '',
    start_to: filters.to ? localToUtcIso(filters.to, '23:59') : '',
    sort: sort.sort,
    order: sort.order,
    page,
    per_page: PER_PAGE,
  };
  const bookings = useAdminBookings(params);
  const items = bookings.data?.items || [];

  const closeDialog = () => setDialog(null);
  const onActionError = (verb) => (error, variables) =>
    toast.error(`Could not ${verb} booking #${variables.id}: ${error.message}`);
  const approve = useApproveBooking({
    onSuccess: (b) =>
      toast.success(`Booking #${b.id} approved${b.agent_name ? ` on ${b.agent_name}` : ''}.`),
    onError: onActionError('approve'),
  });
  const reject = useRejectBooking({
    onSuccess: (b) => toast.success(`Booking #${b.id} rejected.`),
    onError: onActionError('reject'),
  });
  const extend = useExtendBooking({
    onSuccess: (b) => {
      toast.success(`Booking #${b.id} now ends ${formatDateTime(b.end_time)}.`);
      closeDialog();
    },
  });
  const cancel = useAdminCancelBooking({
    onSuccess: (b) => toast.success(`Booking #${b.id} cancelled.`),
    onError: onActionError('cancel'),
  });
  const bulk = useBulkAction({
    onSuccess: (data, variables) => {
      const summary = summariseBulk(variables.action, data.results || []);
      (summary.failed ? toast.error : toast.success)(summary.text);
      setSelected(new Set());
      closeDialog();
    },
  });

  const setFilter = (name) => (event) => {
    setFilters((f) => ({ ...f, [name]: event.target.value }));
    setPage(1);
    setSelected(new Set());
  };
  const toggleSort = (column) => {
    setSort((s) =>
      s.sort === column
        ? { sort: column, order: s.order === 'asc' ? 'desc' : 'asc' }
        : { sort: column, order: 'asc' },
    );
    setPage(1);
  };
  const toggle = (id) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allOnPage = items.length > 0 && items.every((b) => selected.has(b.id));
  const toggleAll = () => setSelected(allOnPage ? new Set() : new Set(items.map((b) => b.id)));
  const filtered = Object.values(filters).some(Boolean);

  const isBulk = dialog && dialog.ids.length > 1;
  const submitDialog = (values) => {
    const { type, ids } = dialog;
    if (isBulk || dialog.bulk) {
      bulk.mutate({ action: type, ids, ...values });
      return;
    }
    const id = ids[0];
    if (type === 'approve') approve.mutate({ id, ...values });
    if (type === 'reject') reject.mutate({ id, ...values });
    if (type === 'extend') {
      extend.mutate({ id, ...values });
      return;
    }
    closeDialog();
  };
  const open = (type, ids, bulkMode = false) => {
    extend.reset();
    bulk.reset();
    setDialog({ type, ids, bulk: bulkMode });
  };
  const dialogError = dialog?.type === 'extend' && !isBulk ? extend.error : bulk.error;

  return (
    <Card aria-labelledby="bookings-title">
      <CardHeader
        id="bookings-title"
        title="All bookings"
        refreshing={bookings.isFetching && !bookings.isPending}
        description={
          bookings.data
            ? plural(bookings.data.total, 'booking') + (filtered ? ' match' : ' in total')
            : undefined
        }
      />

      <div
        className="grid grid-cols-2 gap-2 border-b border-slate-100 px-4 py-3 sm:px-5 md:grid-cols-5"
        role="search"
        aria-label="Filter bookings"
      >
        <FilterField label="Status">
          <select value={filters.status} onChange={setFilter('status')} className={filterControl}>
            <option value="">Any status</option>
            {BOOKING_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s[0].toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="User">
          <input
            type="search"
            value={filters.q}
            onChange={setFilter('q')}
            placeholder="username"
            className={filterControl}
          />
        </FilterField>
        <FilterField label="Node">
          <select
            value={filters.agent_id}
            onChange={setFilter('agent_id')}
            className={filterControl}
          >
            <option value="">Any node</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="Starts from">
          <input
            type="date"
            value={filters.from}
            onChange={setFilter('from')}
            className={filterControl}
          />
        </FilterField>
        <FilterField label="Starts until">
          <input
            type="date"
            value={filters.to}
            min={filters.from || undefined}
            onChange={setFilter('to')}
            className={filterControl}
          />
        </FilterField>
        {filtered && (
          <div className="col-span-2 md:col-span-5">
            <button
              type="button"
              className="text-xs font-medium text-indigo-600 hover:text-indigo-800"
              onClick={() => {
                setFilters(EMPTY_FILTERS);
                setPage(1);
              }}
            >
              Clear filters
            </button>
          </div>
        )}
      </div>

      {selected.size > 0 && (
        <div
          className="z-10 flex sm:sticky sm:top-16 flex-wrap items-center gap-2 border-b border-indigo-100 bg-indigo-50 px-4 py-2 text-sm sm:px-5"
          role="region"
          aria-label="Bulk actions"
        >
          <span className="font-medium text-indigo-900">{selected.size} selected</span>
          <Button size="sm" variant="success" onClick={() => open('approve', [...selected], true)}>
            Approve
          </Button>
          <Button size="sm" variant="danger" onClick={() => open('reject', [...selected], true)}>
            Reject
          </Button>
          <Button size="sm" variant="secondary" onClick={() => open('extend', [...selected], true)}>
            Extend
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setSelected(new Set())}>
            Clear
          </Button>
        </div>
      )}

      {bookings.isPending ? (
        <LoadingBlock label="Loading bookings…" />
      ) : bookings.isError ? (
        <ErrorState error={bookings.error} onRetry={bookings.refetch} />
      ) : items.length === 0 ? (
        <EmptyState
          title={filtered ? 'No bookings match these filters' : 'No bookings yet'}
          description={
            filtered ? 'Clear a filter to see more.' : 'Requests from students appear here.'
          }
        />
      ) : (
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm">
            <caption className="sr-only">Bookings, sortable by column</caption>
            <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="w-10 py-2.5 pr-1 pl-4 sm:pl-5">
                  <input
                    type="checkbox"
                    checked={allOnPage}
                    onChange={toggleAll}
                    aria-label="Select all bookings on this page"
                    className="size-4 rounded border-slate-300 accent-indigo-600"
                  />
                </th>
                <SortHeader column="username" sort={sort} onSort={toggleSort}>
                  Booking
                </SortHeader>
                <SortHeader
                  column="start_time"
                  sort={sort}
                  onSort={toggleSort}
                  className="hidden md:table-cell"
                >
                  When
                </SortHeader>
                <th scope="col" className="hidden px-3 py-2.5 lg:table-cell">
                  Resources
                </th>
                <th scope="col" className="hidden px-3 py-2.5 md:table-cell">
                  Node
                </th>
                <SortHeader column="status" sort={sort} onSort={toggleSort}>
                  Status
                </SortHeader>
                <SortHeader
                  column="created_at"
                  sort={sort}
                  onSort={toggleSort}
                  className="hidden xl:table-cell"
                >
                  Requested
                </SortHeader>
                <th scope="col" className="py-2.5 pr-4 pl-3 text-right sm:pr-5">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {items.map((b) => (
                <tr
                  key={b.id}
                  className={cn(
                    'align-top transition-colors',
                    selected.has(b.id) ? 'bg-indigo-50/50' : 'hover:bg-slate-50/70',
                    b._optimistic && 'opacity-70',
                  )}
                >
                  <td className="py-3 pr-1 pl-4 sm:pl-5">
                    <input
                      type="checkbox"
                      checked={selected.has(b.id)}
                      onChange={() => toggle(b.id)}
                      aria-label={`Select booking ${b.id}`}
                      className="size-4 rounded border-slate-300 accent-indigo-600"
                    />
                  </td>
                  <td className="px-3 py-3">
                    <div className="flex flex-wrap items-center gap-x-2">
                      <button
                        type="button"
                        onClick={() => setDetailsId(b.id)}
                        className="font-semibold text-slate-900 hover:text-indigo-700 hover:underline"
                        aria-label={`Details of booking ${b.id}`}
                      >
                        {b.username || `user ${b.user_id}`}
                      </button>
                      <span className="text-xs text-slate-400">#{b.id}</span>
                      {b.at_risk && (
                        <span
                          className="rounded bg-amber-100 px-1.5 text-[11px] font-semibold text-amber-800"
                          title="The assigned node may not be able to run this booking"
                        >
                          at risk
                        </span>
                      )}
                    </div>
                    <p className="mt-0.5 text-xs text-slate-600 md:hidden">
                      {formatRange(b.start_time, b.end_time)}
                    </p>
                    <p className="mt-0.5 text-xs text-slate-500 lg:hidden">
                      {b.cpu_cores} CPU · {b.memory_gb} GB
                      {b.gpu_count ? ` · ${b.gpu_count} GPU` : ''}
                      <span className="md:hidden">{b.agent_name ? ` · ${b.agent_name}` : ''}</span>
                    </p>
                    {b.purpose && (
                      <p className="mt-0.5 line-clamp-1 max-w-xs text-xs text-slate-500 italic">
                        {b.purpose}
                      </p>
                    )}
                    {b.status === 'rejected' && b.rejection_reason && (
                      <p className="mt-0.5 text-xs text-rose-700">Reason: {b.rejection_reason}</p>
                    )}
                  </td>
                  <td className="hidden px-3 py-3 whitespace-nowrap text-slate-700 md:table-cell">
                    {formatRange(b.start_time, b.end_time)}
                  </td>
                  <td className="hidden px-3 py-3 whitespace-nowrap text-slate-600 lg:table-cell">
                    {b.cpu_cores} CPU · {b.memory_gb} GB{b.gpu_count ? ` · ${b.gpu_count} GPU` : ''}
                    <span className="block text-xs text-slate-400">{b.image}</span>
                  </td>
                  <td className="hidden px-3 py-3 whitespace-nowrap text-slate-600 md:table-cell">
                    {b.agent_name || <span className="text-slate-400">—</span>}
                  </td>
                  <td className="px-3 py-3">
                    <StatusBadge status={b.status} />
                  </td>
                  <td className="hidden px-3 py-3 whitespace-nowrap text-slate-500 xl:table-cell">
                    {formatDateTime(b.created_at)}
                  </td>
                  <td className="py-3 pr-4 pl-3 sm:pr-5">
                    <RowActions
                      booking={b}
                      onApprove={() => open('approve', [b.id])}
                      onReject={() => open('reject', [b.id])}
                      onExtend={() => open('extend', [b.id])}
                      onCancel={() => setDialog({ type: 'cancel', ids: [b.id] })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        page={page}
        perPage={PER_PAGE}
        total={bookings.data?.total}
        onPage={setPage}
        label="bookings"
      />

      {dialog?.type === 'approve' && (
        <ApproveDialog
          open
          ids={dialog.ids}
          agents={agents}
          onClose={closeDialog}
          onSubmit={submitDialog}
          pending={bulk.isPending}
          error={bulk.error}
        />
      )}
      {dialog?.type === 'reject' && (
        <RejectDialog
          open
          ids={dialog.ids}
          onClose={closeDialog}
          onSubmit={submitDialog}
          pending={bulk.isPending}
          error={bulk.error}
        />
      )}
      {dialog?.type === 'extend' && (
        <ExtendDialog
          open
          ids={dialog.ids}
          onClose={closeDialog}
          onSubmit={submitDialog}
          pending={extend.isPending || bulk.isPending}
          error={dialogError}
        />
      )}
      <ConfirmDialog
        open={dialog?.type === 'cancel'}
        onClose={closeDialog}
        title={`Cancel booking #${dialog?.ids?.[0]}?`}
        description="The student is told it was cancelled; a running session is stopped."
        confirmLabel="Cancel booking"
        onConfirm={() => {
          cancel.mutate({ id: dialog.ids[0] });
          closeDialog();
        }}
      />
      <BookingDetailsDialog id={detailsId} onClose={() => setDetailsId(null)} />
    </Card>
  );
}

const filterControl =
  'block w-full rounded-lg border-0 bg-white px-2.5 py-1.5 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-500 focus:outline-none';

function FilterField({ label, children }) {
  return (
    <label className="block min-w-0 text-xs font-medium text-slate-500">
      <span className="mb-1 block">{label}</span>
      {children}
    </label>
  );
}

function SortHeader({ column, sort, onSort, children, className }) {
  const active = sort.sort === column;
  return (
    <th
      scope="col"
      className={cn('px-3 py-2.5', className)}
      aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button
        type="button"
        onClick={() => onSort(column)}
        className="inline-flex items-center gap-1 uppercase hover:text-slate-900"
      >
        {children}
        <span aria-hidden className={active ? 'text-indigo-600' : 'text-slate-300'}>
          {active && sort.order === 'asc' ? '▲' : '▼'}
        </span>
      </button>
    </th>
  );
}

function RowActions({ booking, onApprove, onReject, onExtend, onCancel }) {
  const { status } = booking;
  return (
    <div className="flex flex-col items-end gap-1.5 sm:flex-row sm:justify-end">
      {status === 'pending' && (
        <>
          <Button
            size="sm"
            variant="success"
            onClick={onApprove}
            aria-label={`Approve booking ${booking.id}`}
          >
            Approve
          </Button>
          <Button
            size="sm"
            variant="secondary"
            onClick={onReject}
            aria-label={`Reject booking ${booking.id}`}
          >
            Reject
          </Button>
        </>
      )}
      {(status === 'approved' || status === 'active') && (
        <>
          <Button
            size="sm"
            variant="secondary"
            onClick={onExtend}
            aria-label={`Extend booking ${booking.id}`}
          >
            Extend
          </Button>
          <Button
            size="sm"
            variant="ghost"
            onClick={onCancel}
            aria-label={`Cancel booking ${booking.id}`}
          >
            Cancel
          </Button>
        </>
      )}
    </div>
  );
}
