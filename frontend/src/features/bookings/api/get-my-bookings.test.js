import { describe, expect, it } from 'vitest';
import { POLL_MS } from '@/lib/query-client';
import { FAST_POLL_MS, bookingsPollMs } from './get-my-bookings';

const now = Date.parse('2026-12-01T10:00:00Z');
const at = (seconds) => new Date(now + seconds * 1000).toISOString();

describe('bookingsPollMs', () => {
  it('polls fast while an approved booking is about to start', () => {
    expect(
      bookingsPollMs([{ status: 'approved', start_time: at(30), end_time: at(3600) }], now),
    ).toBe(FAST_POLL_MS);
  });

  it('polls fast while an approved booking is due but not active yet', () => {
    expect(
      bookingsPollMs([{ status: 'approved', start_time: at(-20), end_time: at(3600) }], now),
    ).toBe(FAST_POLL_MS);
  });

  it('polls fast while an active booking is about to end', () => {
    expect(
      bookingsPollMs([{ status: 'active', start_time: at(-3600), end_time: at(45) }], now),
    ).toBe(FAST_POLL_MS);
  });

  it('polls slowly when nothing is about to change', () => {
    const items = [
      { status: 'approved', start_time: at(7200), end_time: at(9000) },
      { status: 'active', start_time: at(-600), end_time: at(3600) },
      { status: 'pending', start_time: at(10), end_time: at(900) },
    ];
    expect(bookingsPollMs(items, now)).toBe(POLL_MS);
    expect(bookingsPollMs(undefined, now)).toBe(POLL_MS);
  });
});
