/** Instants are epoch milliseconds inside the service and ISO-8601 UTC strings on the wire. */
export type Instant = number;

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
/** 1970-01-01 to 9999-12-31: the instants whose ISO form has a four-digit year. */
const ISO_ARITHMETIC_END_MS = 253_402_300_800_000;

/**
 * An instant as `Date.prototype.toISOString` writes it. Every answer of the hot path carries
 * three or four (the period's bounds, the receipt's instant, the message's reset), so they are
 * computed with integer arithmetic rather than a Date and V8's runtime call for each
 * (docs/benchmarks.md, the hot path); outside 1970-9999 the Date writes it.
 */
export const iso = (at: Instant): string => {
  if (!(at >= 0 && at < ISO_ARITHMETIC_END_MS && Number.isInteger(at))) {
    return new Date(at).toISOString();
  }
  const days = Math.floor(at / DAY_MS);
  const msOfDay = at - days * DAY_MS;
  // Days to a civil date (H. Hinnant's days_from_civil, inverted), in 400-year eras from March.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1_460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(msOfDay / HOUR_MS);
  const minutes = Math.floor((msOfDay % HOUR_MS) / MINUTE_MS);
  const seconds = Math.floor((msOfDay % MINUTE_MS) / SECOND_MS);
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(msOfDay % SECOND_MS)}Z`;
};
export const isoOrNull = (at: Instant | null | undefined): string | null =>
  at === null || at === undefined ? null : iso(at);

/** The earliest of some instants, null when none is set: how every deadline is combined. */
export function earliest(...instants: (Instant | null | undefined)[]): Instant | null {
  let min: Instant | null = null;
  for (const at of instants) if (at != null && (min === null || at < min)) min = at;
  return min;
}
