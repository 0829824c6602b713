import { formatDateTime } from '@/lib/format';

/**
 * "Earliest: Tue 1 Dec, 14:00" with one click to take it, from POST /student/slots;
 * when the chosen window has no room, the nearest windows after it that do.
 */
export function EarliestSlot({ earliest, nearest, chosenFits, onPick }) {
  const first = earliest?.windows?.[0];
  const others = chosenFits === false ? (nearest?.windows ?? []) : [];
  if (!first && others.length === 0) return null;
  return (
    <div className="space-y-2 text-sm" data-testid="earliest-slot">
      {first && (
        <p className="flex flex-wrap items-center gap-2">
          <span className="text-slate-600">Earliest:</span>
          <SlotButton window={first} onPick={onPick} />
        </p>
      )}
      {others.length > 0 && (
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-slate-600">Nearest that fit:</span>
          {others.map((w) => (
            <SlotButton key={w.start_time} window={w} onPick={onPick} />
          ))}
        </div>
      )}
    </div>
  );
}

function SlotButton({ window, onPick }) {
  return (
    <button
      type="button"
      onClick={() => onPick(window.start_time)}
      className="rounded-full border border-indigo-200 bg-indigo-50 px-3 py-1 font-medium text-indigo-800 hover:bg-indigo-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
      title={window.repack ? 'Fits once other bookings are moved to another node' : undefined}
    >
      {formatDateTime(window.start_time)}
    </button>
  );
}
