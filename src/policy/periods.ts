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

// ---- the schedule a workspace follows ------------------------------------------------------

/**
 * What a workspace stores about its periods: the period in force, [start, end), and the anchor
 * that later periods follow. `end` is always an occurrence of `anchor`, so from `end` on the
 * periods are the anchor's months; only the period in force may be shorter (one a changed
 * anchor started mid-month). Storing the period in force, rather than deriving it from the
 * anchor alone, is what keeps a moved anchor from backdating a period or reviving an old one.
 */
export interface Schedule {
  anchor: Instant;
  start: Instant;
  end: Instant;
}

/** A subscription's first schedule: the anchor's month containing `now`. */
export function scheduleAt(anchor: Instant, now: Instant): Schedule {
  const { start, end } = periodAt(anchor, now);
  return { anchor, start, end };
}

/**
 * The period in force at `now`, exact at any instant with no write in between: the stored one
 * until its end, then the anchor's months. An instant before the stored start (a clock that
 * stepped back) still answers the stored period, so nothing is ever counted in an older one.
 */
export function periodOf(schedule: Schedule, now: Instant): Period {
  if (now < schedule.end) {
    const { index } = periodAt(schedule.anchor, schedule.end);
    return { index: index - 1, start: schedule.start, end: schedule.end };
  }
  return periodAt(schedule.anchor, now);
}

/** The schedule as of `now`: the same periods, with the one in force at `now` stored. */
export function scheduleOf(schedule: Schedule, now: Instant): Schedule {
  const { start, end } = periodOf(schedule, now);
  return { anchor: schedule.anchor, start, end };
}

/** One renewal: the period that began and the one it closed (which ended where it began). */
export interface Renewal {
  ended: { start: Instant; end: Instant };
  started: { start: Instant; end: Instant };
}

/**
 * The renewals from the stored period in force up to `now`, oldest first, at most `max` (the
 * most recent ones; an idle workspace's missed months are skipped, not walked). Each renewal
 * closes the period before it: the stored one for the first, the anchor's months after that.
 */
export function renewalsSince(schedule: Schedule, now: Instant, max: number): Renewal[] {
  if (now < schedule.end || max <= 0) return [];
  const { anchor } = schedule;
  const first = periodAt(anchor, schedule.end).index;
  const last = periodAt(anchor, now).index;
  const renewals: Renewal[] = [];
  for (let k = Math.max(first, last - max + 1); k <= last; k++) {
    const start = addMonths(anchor, k);
    renewals.push({
      ended: { start: k === first ? schedule.start : addMonths(anchor, k - 1), end: start },
      started: { start, end: addMonths(anchor, k + 1) },
    });
  }
  return renewals;
}

/**
 * What setting the anchor to `anchor` at `now` does
 * (docs/rules.md, "Billing periods and anchor changes"):
 * - `kept`: the period in force keeps both bounds (the new anchor's next occurrence is its
 *   end, e.g. an anchor a whole number of months away); later periods follow the new anchor.
 * - `restarted`: the period in force ends at `now` and a new one runs from `now` to the new
 *   anchor's next occurrence; `ended` is the closed period, to be announced with its figures.
 *   When the period in force began at this very instant (a change right on a renewal, or a
 *   second change under a frozen test clock) the ended period is empty in time and the new
 *   one shares its start: `sharesStart` tells the caller, whose counters are keyed by start,
 *   that what they hold under that start belongs to the ended period, not to the new one.
 * No period ever starts before the one it replaces: a `now` before the period in force began
 * (a clock that stepped back) counts as that start.
 */
export type AnchorChange =
  | { kind: "kept"; schedule: Schedule }
  | {
      kind: "restarted";
      schedule: Schedule;
      ended: { start: Instant; end: Instant };
      sharesStart: boolean;
    };

export function changeAnchor(current: Schedule, anchor: Instant, now: Instant): AnchorChange {
  const inForce = scheduleOf(current, now);
  const at = Math.max(now, inForce.start);
  const end = periodAt(anchor, at).end;
  if (end === inForce.end) {
    return { kind: "kept", schedule: { anchor, start: inForce.start, end } };
  }
  return {
    kind: "restarted",
    schedule: { anchor, start: at, end },
    ended: { start: inForce.start, end: at },
    sharesStart: at === inForce.start,
  };
}
