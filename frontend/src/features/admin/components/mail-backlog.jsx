import { formatRelative, plural } from '@/lib/format';

/** The mail not sent yet (the scheduler's `mail` job sends it): how much waits,
 * how much is being retried or was given up, and the last error. */
export function MailBacklog({ mail }) {
  if (!mail) return null;
  if (!mail.enabled) {
    return (
      <section aria-label="Mail" className="text-sm text-slate-500">
        <h3 className="mb-1 text-sm font-semibold text-slate-900">Mail</h3>
        Email is off (no SMTP_URL).
      </section>
    );
  }
  const troubled = mail.retrying > 0 || mail.given_up > 0;
  return (
    <section aria-label="Mail" className="text-sm">
      <h3 className="mb-1 text-sm font-semibold text-slate-900">Mail</h3>
      {mail.queued === 0 ? (
        <p className="text-slate-600">Every mail is sent.</p>
      ) : (
        <p
          className={troubled ? 'text-amber-800' : 'text-slate-700'}
          role={troubled ? 'alert' : undefined}
        >
          {plural(mail.queued, 'mail')} waiting
          {mail.oldest_queued_at ? ` (oldest ${formatRelative(mail.oldest_queued_at)})` : ''}
          {mail.retrying ? `, ${mail.retrying} being retried` : ''}
          {mail.given_up ? `, ${mail.given_up} given up` : ''}.
        </p>
      )}
      {mail.last_error && mail.queued > 0 && (
        <p className="mt-1 font-mono text-xs break-all text-rose-700">{mail.last_error}</p>
      )}
    </section>
  );
}
