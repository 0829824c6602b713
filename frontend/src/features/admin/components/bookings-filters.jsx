import { BookingStatusOptions } from '@/components/ui/status-badge';

export const EMPTY_FILTERS = { status: '', q: '', agent_id: '', from: '', to: '' };

const control =
  'block w-full rounded-lg border-0 bg-white px-2.5 py-1.5 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-500 focus:outline-none';

/** The filters above the bookings table. `onChange(name, value)`; `onClear()`. */
export function BookingsFilters({ filters, agents, onChange, onClear }) {
  const set = (name) => (event) => onChange(name, event.target.value);
  const filtered = Object.values(filters).some(Boolean);
  return (
    <div
      className="grid grid-cols-2 gap-2 border-b border-slate-100 px-4 py-3 sm:px-5 md:grid-cols-5"
      role="search"
      aria-label="Filter bookings"
    >
      <FilterField label="Status">
        <select value={filters.status} onChange={set('status')} className={control}>
          <option value="">Any status</option>
          <BookingStatusOptions />
        </select>
      </FilterField>
      <FilterField label="User">
        <input
          type="search"
          value={filters.q}
          onChange={set('q')}
          placeholder="username"
          className={control}
        />
      </FilterField>
      <FilterField label="Node">
        <select value={filters.agent_id} onChange={set('agent_id')} className={control}>
          <option value="">Any node</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </FilterField>
      <FilterField label="Starts from">
        <input type="date" value={filters.from} onChange={set('from')} className={control} />
      </FilterField>
      <FilterField label="Starts until">
        <input
          type="date"
          value={filters.to}
          min={filters.from || undefined}
          onChange={set('to')}
          className={control}
        />
      </FilterField>
      {filtered && (
        <div className="col-span-2 md:col-span-5">
          <button
            type="button"
            className="text-xs font-medium text-indigo-600 hover:text-indigo-800"
            onClick={onClear}
          >
            Clear filters
          </button>
        </div>
      )}
    </div>
  );
}

function FilterField({ label, children }) {
  return (
    <label className="block min-w-0 text-xs font-medium text-slate-500">
      <span className="mb-1 block">{label}</span>
      {children}
    </label>
  );
}
