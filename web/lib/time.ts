/**
 * Reads a timestamp as the BFF may send it: an ISO 8601 string, or a number
 * of seconds (JWT style) or milliseconds since the epoch.
 */
export function toEpochMs(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    return value < 1e12 ? value * 1000 : value;
  }
  if (/^\d+$/.test(value.trim())) return toEpochMs(Number(value.trim()));
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** `mm:ss` for a remaining duration; never negative. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(value: string | number | null | undefined): string {
  const ms = toEpochMs(value);
  return ms === null ? 'an unknown date' : dateFormat.format(ms);
}

export function formatDateTime(value: string | number | null | undefined): string {
  const ms = toEpochMs(value);
  return ms === null ? 'an unknown time' : dateTimeFormat.format(ms);
}

/** ISO string for a <time dateTime> attribute, or undefined. */
export function isoOf(value: string | number | null | undefined): string | undefined {
  const ms = toEpochMs(value);
  return ms === null ? undefined : new Date(ms).toISOString();
}

/** A wait a person can plan around: "40 seconds", "1 minute", "15 minutes" (rounded up, never "891 s"). */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} ${s === 1 ? 'second' : 'seconds'}`;
  const minutes = Math.ceil(s / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}
