import { useId } from 'react';
import { cn } from './cn';

const control =
  'block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs ring-1 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:outline-none disabled:bg-slate-50 disabled:text-slate-500';

function controlClass(error) {
  return cn(
    control,
    error ? 'ring-rose-400 focus:ring-rose-500' : 'ring-slate-300 focus:ring-indigo-500',
  );
}

/** A labelled control with hint and error, wired with aria-describedby / aria-invalid. */
export function Field({ label, hint, error, className, children, id: idProp, required }) {
  const autoId = useId();
  const id = idProp || autoId;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={cn('space-y-1', className)}>
      {label && (
        <label htmlFor={id} className="block text-sm font-medium text-slate-700">
          {label}
          {required && (
            <span className="text-rose-500" aria-hidden>
              {' '}
              *
            </span>
          )}
        </label>
      )}
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {error ? (
        <p id={errorId} className="text-xs font-medium text-rose-600">
          {error}
        </p>
      ) : (
        hint && (
          <p id={hintId} className="text-xs text-slate-500">
            {hint}
          </p>
        )
      )}
    </div>
  );
}

export function Input({ label, hint, error, className, inputClassName, id, required, ...props }) {
  return (
    <Field
      label={label}
      hint={hint}
      error={error}
      className={className}
      id={id}
      required={required}
    >
      {(aria) => (
        <input
          className={cn(controlClass(error), inputClassName)}
          required={required}
          {...aria}
          {...props}
        />
      )}
    </Field>
  );
}

export function Select({ label, hint, error, className, id, children, required, ...props }) {
  return (
    <Field
      label={label}
      hint={hint}
      error={error}
      className={className}
      id={id}
      required={required}
    >
      {(aria) => (
        <select
          className={cn(controlClass(error), 'pr-8')}
          required={required}
          {...aria}
          {...props}
        >
          {children}
        </select>
      )}
    </Field>
  );
}

export function Textarea({ label, hint, error, className, id, required, ...props }) {
  return (
    <Field
      label={label}
      hint={hint}
      error={error}
      className={className}
      id={id}
      required={required}
    >
      {(aria) => (
        <textarea className={controlClass(error)} required={required} {...aria} {...props} />
      )}
    </Field>
  );
}

/**
 * A form-level error: the API's message plus any field messages not tied to a visible
 * field. Facts in `details` (numbers and names, e.g. a policy refusal's `limit` and
 * `used`) are for programs; the message already says them in words.
 */
export function FormError({ error, fields = [] }) {
  if (!error) return null;
  const details =
    error.details && typeof error.details === 'object'
      ? Object.entries(error.details).filter(
          ([key, value]) => !fields.includes(key) && value !== null && typeof value === 'object',
        )
      : [];
  return (
    <div
      role="alert"
      className="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800"
    >
      <p className="font-medium">{error.message}</p>
      {details.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-xs">
          {details.map(([key, value]) => (
            <li key={key}>
              {/* `_schema`: about the request as a whole, not one field. */}
              {key !== '_schema' && <span className="font-semibold">{key}: </span>}
              {Array.isArray(value)
                ? value.join(' ')
                : typeof value === 'object'
                  ? JSON.stringify(value)
                  : String(value)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
