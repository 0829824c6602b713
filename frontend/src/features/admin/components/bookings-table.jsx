import { useState } from 'react';
import { Card, CardHeader, EmptyState, ErrorState } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { Pagination } from '@/components/ui/pagination';
import { LoadingBlock } from '@/components/ui/spinner';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatDateTime, formatRange, localToUtcIso, plural } from '@/lib/format';
import { useDebounced } from '@/lib/use-now';
import { useAdminBookings } from '../api/get-admin-bookings';
import { BookingDetailsDialog } from './booking-details-dialog';
import { BookingsFilters, EMPTY_FILTERS } from './bookings-filters';
import { BulkBar } from './bulk-bar';
import { RowActions } from './row-actions';
import { useBookingActions } from './use-booking-actions';

const PER_PAGE = 20;

export function BookingsTable({ agents = [] }) {
  const [filters, setFilters] = useState(EMPTY_FILTERS);
  const [sort, setSort] = useState({ sort: 'created_at', order: 'desc' });
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState(() => new Set());
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
  const selectedBookings = items.filter((b) => selected.has(b.id));
  const actions = useBookingActions({ agents, onBulkDone: () => setSelected(new Set()) });

  const changeView = (change) => {
    change();
    setSelected(new Set());
  };
  const setFilter = (name, value) =>
    changeView(() => {
      setFilters((f) => ({ ...f, [name]: value }));
      setPage(1);
    });
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

      <BookingsFilters
        filters={filters}
        agents={agents}
        onChange={setFilter}
        onClear={() =>
          changeView(() => {
            setFilters(EMPTY_FILTERS);
            setPage(1);
          })
        }
      />

      {selectedBookings.length > 0 && (
        <BulkBar
          selected={selectedBookings}
          onAction={(action, chosen, skipped) =>
            actions.start(action, chosen, { bulk: true, skipped })
          }
          onClear={() => setSelected(new Set())}
        />
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
                    {b.rejection_reason && (
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
                    <RowActions booking={b} onAction={(action) => actions.start(action, [b])} />
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
        onPage={(next) => changeView(() => setPage(next))}
        label="bookings"
      />
      {actions.dialog}
      <BookingDetailsDialog id={detailsId} agents={agents} onClose={() => setDetailsId(null)} />
    </Card>
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
