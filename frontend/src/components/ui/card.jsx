import { cn } from './cn';
import { Spinner } from './spinner';

export function Card({ className, children, ...props }) {
  return (
    <section
      className={cn('rounded-2xl bg-white shadow-xs ring-1 ring-slate-200/80', className)}
      {...props}
    >
      {children}
    </section>
  );
}

/** `refreshing`: a background refetch is running (data already shown): a small spinner by the title. */
export function CardHeader({ title, description, actions, id, refreshing = false }) {
  return (
    <div className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-4 py-3 sm:px-5">
      <div className="min-w-0">
        <h2 id={id} className="text-base font-semibold text-slate-900">
          {refreshing ? (
            <span className="inline-flex items-center gap-2">
              {title} <Spinner className="size-3.5 text-slate-400" />
            </span>
          ) : (
            title
          )}
        </h2>
        {description && <p className="mt-0.5 text-sm text-slate-500">{description}</p>}
      </div>
      {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
    </div>
  );
}

export function EmptyState({ title, description, icon, action }) {
  return (
    <div className="flex flex-col items-center justify-center px-6 py-10 text-center">
      <div
        className="mb-3 flex size-12 items-center justify-center rounded-full bg-slate-100 text-xl text-slate-400"
        aria-hidden
      >
        {icon || (
          <svg
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.8"
            className="size-6"
          >
            <rect x="4" y="5" width="16" height="15" rx="2" />
            <path d="M4 10h16M9 3v4M15 3v4" strokeLinecap="round" />
          </svg>
        )}
      </div>
      <p className="text-sm font-semibold text-slate-800">{title}</p>
      {description && <p className="mt-1 max-w-sm text-sm text-slate-500">{description}</p>}
      {action && <div className="mt-4">{action}</div>}
    </div>
  );
}

export function ErrorState({ error, onRetry }) {
  return (
    <div role="alert" className="flex flex-col items-center gap-3 px-6 py-10 text-center">
      <p className="text-sm font-medium text-rose-700">
        {error?.message || 'Could not load this.'}
      </p>
      {onRetry && (
        <button
          type="button"
          onClick={onRetry}
          className="rounded-lg px-3 py-1.5 text-sm font-semibold text-indigo-600 ring-1 ring-indigo-200 hover:bg-indigo-50"
        >
          Try again
        </button>
      )}
    </div>
  );
}
