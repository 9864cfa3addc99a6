import { type Period, periodAt, periodOf, type Schedule, scheduleAt } from "../../policy/periods";
import type { Instant } from "../../policy/time";
import type { Store } from "../../storage";
import type { WorkspaceContext } from "../context";
import { storedLedgerSeq } from "../memory";
import { PERIOD_KEY } from "./schema";

// The stored schedule: the period in force, what its start carries, its ledger bound.

/**
 * Counters are keyed by period start. When a changed anchor ends a period at the very instant
 * it began (a change right on a renewal, or two changes under one frozen test clock), the new
 * period shares that start: what the counters hold under it until the change belongs to the
 * ended period, and is carried here so that the new period does not count it. The counters
 * and the ledger themselves are never rewritten (they stay each other's sums).
 */
interface Carried {
  start: Instant;
  used: Record<string, number>;
  questions: number;
}

/** As stored: the schedule, and what its period's start carries from an ended period. */
type PeriodRecord = Schedule & { carried?: Carried; ledgerFrom?: number };
/** What releases before the schedule stored: the anchor and the period start. */
type LegacyPeriodRecord = Omit<Schedule, "end">;

export const storedPeriod = (store: Store) =>
  store.getMeta<PeriodRecord | LegacyPeriodRecord>(PERIOD_KEY);

export function carriedAt(store: Store, periodStart: Instant): Carried | undefined {
  const stored = storedPeriod(store);
  const carried = stored !== undefined && "carried" in stored ? stored.carried : undefined;
  return carried?.start === periodStart ? carried : undefined;
}

/**
 * Stores the schedule; what its period's start carries stays while the period in force still
 * starts there (a renewal moves on, a kept anchor does not), unless `carried` replaces it.
 */
export function storeSchedule(store: Store, schedule: Schedule, carried?: Carried): void {
  const kept = carried ?? carriedAt(store, schedule.start);
  const { anchor, start, end } = schedule;
  // The ledger's last id before this period: its entries are the ids after it. A period that
  // keeps its start keeps its bound; a new one is stored before anything is charged to it.
  const stored = storedPeriod(store);
  const ledgerFrom =
    stored !== undefined && stored.start === start && "ledgerFrom" in stored
      ? stored.ledgerFrom
      : storedLedgerSeq(store);
  const record: PeriodRecord = { anchor, start, end, ledgerFrom };
  if (kept !== undefined) record.carried = kept;
  store.setMeta(PERIOD_KEY, record);
}

/**
 * A ledger id below every entry of the period that starts at `periodStart`: the bound stored
 * with the schedule (of this period, or of an earlier one not yet renewed), else 0.
 */
export function ledgerFrom(store: Store, periodStart: Instant): number {
  const stored = storedPeriod(store);
  return stored !== undefined && stored.start <= periodStart && "ledgerFrom" in stored
    ? (stored.ledgerFrom ?? 0)
    : 0;
}

/**
 * The workspace's schedule as stored. Before any is stored (or if it follows another anchor,
 * which a subscription change never leaves behind) the anchor's months are the periods. A
 * legacy record always began on an occurrence of its anchor, so its end is the next one.
 */
export function loadSchedule(ctx: WorkspaceContext): Schedule {
  const anchor = ctx.subscription.periodAnchor;
  const stored = storedPeriod(ctx.store);
  if (stored === undefined || stored.anchor !== anchor) return scheduleAt(anchor, ctx.now);
  const end = "end" in stored ? stored.end : periodAt(anchor, stored.start).end;
  return { anchor, start: stored.start, end };
}

/**
 * The period in force now: exact at any instant, whether or not a settle has run since. From
 * the object's counters when it passes them (they are only passed while no period ended).
 */
export const currentPeriod = (ctx: WorkspaceContext): Period =>
  ctx.counters?.period ?? periodOf(loadSchedule(ctx), ctx.now);
