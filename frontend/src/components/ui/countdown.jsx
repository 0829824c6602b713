import { formatDuration } from '@/lib/format';
import { useNow } from '@/lib/use-now';

/** "starts in 2h 05m" / "ends in 12m 03s", ticking every second. */
export function Countdown({ to, prefix, pastLabel = 'now', className }) {
  const now = useNow(1000);
  const ms = new Date(to).getTime() - now;
  return (
    <span className={className}>
      {ms > 0 ? (
        <>
          {prefix}{' '}
          <time dateTime={to} className="font-semibold tabular-nums">
            {formatDuration(ms)}
          </time>
        </>
      ) : (
        pastLabel
      )}
    </span>
  );
}
