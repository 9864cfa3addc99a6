import type { AiFeature } from "../../policy/catalogue";
import {
  type PeriodBounds,
  reachedThresholds,
  THRESHOLD_PERCENTS,
  thresholdEvent,
} from "../../policy/credits";
import type { PolicyEvent } from "../../policy/events";
import type { Instant } from "../../policy/time";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { announcedThresholds, poolOf } from "./state";

// Writes to the hot-path counters, kept in storage and (when passed) in memory.

/** Adds to a counter kept both in storage and, when the object passes them, in memory. */
const bump = (m: Map<string, number> | undefined, feature: string, n: number): void => {
  m?.set(feature, (m.get(feature) ?? 0) + n);
};

export function addUsed(
  ctx: WorkspaceContext,
  periodStart: Instant,
  feature: AiFeature,
  credits: number,
) {
  ctx.store.run(
    `INSERT INTO credit_usage (period_start, feature, used) VALUES (?, ?, ?)
     ON CONFLICT (period_start, feature) DO UPDATE SET used = used + excluded.used`,
    periodStart,
    feature,
    credits,
  );
  if (ctx.counters?.period.start === periodStart) bump(ctx.counters.used, feature, credits);
}

export function addHeld(ctx: WorkspaceContext, feature: AiFeature, credits: number): void {
  ctx.store.run(
    `INSERT INTO credit_holds (feature, held) VALUES (?, ?)
     ON CONFLICT (feature) DO UPDATE SET held = held + excluded.held`,
    feature,
    credits,
  );
  bump(ctx.counters?.held, feature, credits);
}

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
    ctx.store.run(
      "INSERT INTO credit_thresholds (period_start, percent) VALUES (?, ?)",
      period.start,
      percent,
    );
    announced.add(percent);
    events.push(thresholdEvent(percent, period, pool));
  }
  recordEvents(ctx.store, events, ctx.now);
}
