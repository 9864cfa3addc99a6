import { AI_FEATURES, type AiFeature } from "../../policy/catalogue";
import { DAY_MS, iso } from "../../policy/time";
import { chargedSlices } from "../archive/rollups";
import type { WorkspaceContext } from "../context";
import { currentPeriod } from "./period";
import { loadCreditState } from "./state";

export type FeatureCredits = Record<AiFeature, number>;

export interface CreditDay {
  startsAt: string;
  credits: number;
  features: FeatureCredits;
}

export interface DailyCredits {
  periodStart: string;
  nextResetAt: string;
  asOf: string;
  daysInPeriod: number;
  used: number;
  features: AiFeature[];
  days: CreditDay[];
}

const zeroes = (): FeatureCredits =>
  Object.fromEntries(AI_FEATURES.map((f) => [f, 0])) as FeatureCredits;

/**
 * One entry per day from the period start through today (at most 31, each with all seven
 * features), whatever the ledger holds: the answer is bounded by the period, not by traffic.
 *
 * Credits charged per day and feature in the period: consumes (`debit`) and the actual cost of
 * committed reservations (`commit`), the same movements the period's `used` counts. Holds,
 * releases and expiries charge nothing. Read from the roll-ups plus the few raw entries the
 * alarm has not rolled up yet (`chargedSlices`, docs/history.md), never by scanning the ledger;
 * the slices of the period (`period_start`) keep the sums equal to `used` when an anchor change
 * split a day. Day d covers [periodStart + d days, periodStart + d + 1 days): each slice lies in
 * one of them.
 */
export function dailyCredits(ctx: WorkspaceContext): DailyCredits {
  const period = currentPeriod(ctx);
  const daysInPeriod = Math.ceil((period.end - period.start) / DAY_MS);
  const elapsed = Math.min(daysInPeriod, Math.floor((ctx.now - period.start) / DAY_MS) + 1);
  const days: CreditDay[] = Array.from({ length: elapsed }, (_, d) => ({
    startsAt: iso(period.start + d * DAY_MS),
    credits: 0,
    features: zeroes(),
  }));
  const slices = chargedSlices(ctx.store, period.start, period.end, period.start);
  let used = 0;
  for (const s of slices) {
    const day = days[Math.floor((s.slice - period.start) / DAY_MS)];
    // A slice after today cannot be charged by this clock; a feature outside the catalogue
    // cannot be written. Both are skipped rather than trusted.
    if (day === undefined || !(s.feature in day.features)) continue;
    day.features[s.feature as AiFeature] += s.credits;
    day.credits += s.credits;
    used += s.credits;
  }
  // Two anchor changes at one instant start two periods at that same instant; the ledger rows
  // of the first (all at that instant, day 0) are not this period's. The counters know how much
  // they were: whatever the ledger holds beyond the period's `used` is taken off day 0.
  const first = days[0];
  if (first !== undefined) {
    const { features } = loadCreditState(ctx);
    for (const feature of AI_FEATURES) {
      const charged = days.reduce((sum, d) => sum + d.features[feature], 0);
      const before = Math.min(first.features[feature], charged - features[feature].used);
      if (before <= 0) continue;
      first.features[feature] -= before;
      first.credits -= before;
      used -= before;
    }
  }
  return {
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
    asOf: iso(ctx.now),
    daysInPeriod,
    used,
    features: [...AI_FEATURES],
    days,
  };
}
