/** Instants are epoch milliseconds inside the service and ISO-8601 UTC strings on the wire. */
export type Instant = number;

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const iso = (at: Instant): string => new Date(at).toISOString();
export const isoOrNull = (at: Instant | null | undefined): string | null =>
  at === null || at === undefined ? null : iso(at);

/** The earliest of some instants, null when none is set: how every deadline is combined. */
export function earliest(...instants: (Instant | null | undefined)[]): Instant | null {
  let min: Instant | null = null;
  for (const at of instants) if (at != null && (min === null || at < min)) min = at;
  return min;
}
