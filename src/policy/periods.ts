import type { Instant } from "./time";

/** One billing period: [start, end). `index` counts months from the anchor (negative before it). */
export interface Period {
  index: number;
  start: Instant;
  end: Instant;
}

const daysInMonth = (year: number, month: number): number =>
  new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/**
 * The anchor plus `months` calendar months: same day of month and time of day, clamped to the
 * last day of a shorter month. Always computed from the anchor itself, so the clamp never
 * accumulates (Jan 31 + 1 = Feb 28 or 29, Jan 31 + 2 = Mar 31, not Mar 28).
 */
export function addMonths(anchor: Instant, months: number): Instant {
  const a = new Date(anchor);
  const timeOfDay = anchor - Date.UTC(a.getUTCFullYear(), a.getUTCMonth(), a.getUTCDate());
  const total = a.getUTCFullYear() * 12 + a.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const day = Math.min(a.getUTCDate(), daysInMonth(year, month));
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const midnight = new Date(Date.UTC(2000, month, day));
  midnight.setUTCFullYear(year);
  return midnight.getTime() + timeOfDay;
}

/**
 * The period containing `now`: the k with anchor + k months ≤ now < anchor + (k+1) months.
 * Before the anchor k is negative and periods extend backwards by the same rule, so a
 * subscription whose anchor lies in the future still has a well-defined current period (the
 * month that ends at the anchor).
 */
export function periodAt(anchor: Instant, now: Instant): Period {
  const a = new Date(anchor);
  const n = new Date(now);
  let k = (n.getUTCFullYear() - a.getUTCFullYear()) * 12 + (n.getUTCMonth() - a.getUTCMonth());
  // The month difference is within one of the answer; settle it exactly.
  while (addMonths(anchor, k) > now) k--;
  while (addMonths(anchor, k + 1) <= now) k++;
  return { index: k, start: addMonths(anchor, k), end: addMonths(anchor, k + 1) };
}

/**
 * The starts of the periods that began in (after, now], oldest first, at most `max` (the most
 * recent ones): the renewals a workspace went through since `after`.
 */
export function renewalsBetween(
  anchor: Instant,
  after: Instant,
  now: Instant,
  max: number,
): Instant[] {
  const current = periodAt(anchor, now);
  const starts: Instant[] = [];
  for (let k = current.index; starts.length < max; k--) {
    const start = addMonths(anchor, k);
    if (start <= after) break;
    starts.push(start);
  }
  return starts.reverse();
}
