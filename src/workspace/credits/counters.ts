import {
  type PeriodBounds,
  reachedThresholds,
  THRESHOLD_PERCENTS,
  thresholdEvent,
} from "../../policy/credits";
import type { PolicyEvent } from "../../policy/events";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { announceThreshold } from "../memory";
import { announcedThresholds, poolOf } from "./state";

// The thresholds the counters cross; the counters themselves are written by memory.ts.

/** Announces 80 % and 100 % once per period each, in the transaction that crossed them. */
export function applyThresholds(ctx: WorkspaceContext, period: PeriodBounds): void {
  const c = ctx.counters;
  const announced =
    c !== undefined && c.period.start === period.start
      ? c.announced
      : announcedThresholds(ctx.store, period.start);
  if (announced.size === THRESHOLD_PERCENTS.length) return;
  const pool = poolOf(ctx);
  const events: PolicyEvent[] = [];
  for (const percent of reachedThresholds(pool.used, pool.balance)) {
    if (announced.has(percent)) continue;
    announceThreshold(ctx, period.start, percent);
    events.push(thresholdEvent(percent, period, pool));
  }
  recordEvents(ctx.store, events, ctx.now);
}
