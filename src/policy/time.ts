/** Instants are epoch milliseconds inside the service and ISO-8601 UTC strings on the wire. */
export type Instant = number;

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Instants formatted lately: every decision writes its period's start and end (docs/benchmarks.md,
 * the hot path), so they are formatted once, not per call. Bounded: cleared when full.
 */
const ISO_CACHE_SIZE = 64;
const isoCache = new Map<Instant, string>();

export const iso = (at: Instant): string => {
  let s = isoCache.get(at);
  if (s === undefined) {
    s = new Date(at).toISOString();
    if (isoCache.size >= ISO_CACHE_SIZE) isoCache.clear();
    isoCache.set(at, s);
  }
  return s;
};
export const isoOrNull = (at: Instant | null | undefined): string | null =>
  at === null || at === undefined ? null : iso(at);

/** The earliest of some instants, null when none is set: how every deadline is combined. */
export function earliest(...instants: (Instant | null | undefined)[]): Instant | null {
  let min: Instant | null = null;
  for (const at of instants) if (at != null && (min === null || at < min)) min = at;
  return min;
}
