import { useSyncExternalStore } from 'react';
import { cn } from './cn';

/**
 * A tiny toast store usable from anywhere (React components, the query cache).
 * <Toaster /> renders it in an aria-live region.
 */
let items = [];
let nextId = 1;
const subscribers = new Set();
const emit = () => subscribers.forEach((fn) => fn());

function push(kind, message, { duration = kind === 'error' ? 7000 : 4000 } = {}) {
  const id = nextId++;
  items = [...items.filter((t) => t.message !== message), { id, kind, message }].slice(-4);
  emit();
  if (duration) setTimeout(() => dismiss(id), duration);
  return id;
}

export function dismiss(id) {
  items = items.filter((t) => t.id !== id);
  emit();
}

export const toast = {
  success: (message, options) => push('success', message, options),
  error: (message, options) => push('error', message, options),
  info: (message, options) => push('info', message, options),
  clear: () => {
    items = [];
    emit();
  },
};

const subscribe = (fn) => {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
};
const snapshot = () => items;

const styles = {
  success: 'border-emerald-200 bg-emerald-50 text-emerald-900',
  error: 'border-rose-200 bg-rose-50 text-rose-900',
  info: 'border-slate-200 bg-white text-slate-900',
};
const icons = { success: '✓', error: '!', info: 'i' };

export function Toaster() {
  const toasts = useSyncExternalStore(subscribe, snapshot, snapshot);
  return (
    <div
      aria-live="polite"
      className="pointer-events-none fixed inset-x-0 bottom-0 z-[60] flex flex-col items-center gap-2 p-4 sm:items-end"
    >
      {toasts.map((t) => (
        <div
          key={t.id}
          role={t.kind === 'error' ? 'alert' : 'status'}
          className={cn(
            'pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-xl border px-4 py-3 text-sm shadow-lg',
            styles[t.kind],
          )}
        >
          <span
            aria-hidden
            className="mt-0.5 flex size-5 shrink-0 items-center justify-center rounded-full bg-current/10 text-xs font-bold"
          >
            {icons[t.kind]}
          </span>
          <p className="flex-1">{t.message}</p>
          <button
            type="button"
            onClick={() => dismiss(t.id)}
            className="-m-1 rounded p-1 text-current/60 hover:text-current"
            aria-label="Dismiss notification"
          >
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
