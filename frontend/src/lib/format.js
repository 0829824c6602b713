/** Formatting and time helpers. All API times are UTC ISO strings; we show local time. */

export const localTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
});
const dateFmt = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});

export function formatDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTimeFmt.format(d);
}

export function formatTime(iso) {
  return iso ? timeFmt.format(new Date(iso)) : '—';
}

/** "27 Nov 2026" in local time. */
export function formatDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateFmt.format(d);
}

export function formatDay(date) {
  return dayFmt.format(date instanceof Date ? date : new Date(date));
}

/** "Sat 28 Nov, 10:00 – 12:00" or across days "Sat 28 Nov, 22:00 – Sun 29 Nov, 02:00". */
export function formatRange(startIso, endIso) {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const sameDay = start.toDateString() === end.toDateString();
  return `${formatDateTime(startIso)} – ${sameDay ? formatTime(endIso) : formatDateTime(endIso)}`;
}

/** Local date ("YYYY-MM-DD") + local time ("HH:MM") → UTC ISO with explicit +00:00 offset. */
export function localToUtcIso(date, time) {
  if (!date || !time) return null;
  const d = new Date(`${date}T${time}`);
  if (Number.isNaN(d.getTime())) return null;
  return toUtcIso(d);
}

export function toUtcIso(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

const pad = (n) => String(n).padStart(2, '0');

/** A Date → the value of an <input type="date"> in local time. */
export function toDateInput(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function toTimeInput(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Milliseconds → "2d 3h", "3h 12m", "4m 09s", "12s". */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${pad(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}

export function formatHours(hours) {
  const h = Number(hours);
  if (!Number.isFinite(h)) return '';
  if (h < 1) return `${Math.round(h * 60)} min`;
  return Number.isInteger(h) ? `${h} h` : `${h.toFixed(1)} h`;
}

/** "3 min ago", "2 h ago", "just now", "never". */
export function formatRelative(iso, now = Date.now()) {
  if (!iso) return 'never';
  const diff = now - new Date(iso).getTime();
  if (diff < 45_000) return 'just now';
  if (diff < 3_600_000) return `${Math.round(diff / 60_000)} min ago`;
  if (diff < 86_400_000) return `${Math.round(diff / 3_600_000)} h ago`;
  return `${Math.round(diff / 86_400_000)} d ago`;
}

/** "4 s ago" under two minutes, then like formatRelative. */
export function formatSecondsAgo(iso, now = Date.now()) {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  return formatRelative(iso, now);
}

export function percent(fraction) {
  const f = Number(fraction);
  return Number.isFinite(f) ? `${Math.round(f * 100)}%` : '—';
}

export function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}
