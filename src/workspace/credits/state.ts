import { AI_FEATURES, type AiFeature } from "../../policy/catalogue";
import type { FeatureUse, Pool } from "../../policy/credits";
import type { Period } from "../../policy/periods";
import type { Instant } from "../../policy/time";
import type { Store } from "../../storage";
import type { BudgetCounters, CreditCounters, PackageRow, WorkspaceContext } from "../context";
import { storedLedgerSeq } from "../memoryLedger";
import { budgetsOf, loadBudgets, topupParts } from "./budgets";
import { carriedAt, currentPeriod } from "./period";

// Credit state from the counters: loaded for a decision or a view, never summed from the ledger.

/** Packages that count at `at`: now < expiresAt. */
export const activePackages = (store: Store, at: Instant): PackageRow[] =>
  store.all<PackageRow>(
    "SELECT id, credits, expires_at, created_at, updated_at FROM credit_packages WHERE expires_at > ? ORDER BY expires_at, id",
    at,
  );

const sumBy = (rows: { feature: string; n: number }[]): Map<string, number> =>
  new Map(rows.map((r) => [r.feature, r.n]));

export const storedUsage = (store: Store, periodStart: Instant): Map<string, number> =>
  sumBy(
    store.all("SELECT feature, used AS n FROM credit_usage WHERE period_start = ?", periodStart),
  );

/** Credits used per feature in the period that started at `periodStart`. */
export function usedByFeature(store: Store, periodStart: Instant): Map<string, number> {
  const used = storedUsage(store, periodStart);
  const carried = carriedAt(store, periodStart);
  if (carried !== undefined) {
    for (const [feature, n] of Object.entries(carried.used)) {
      used.set(feature, (used.get(feature) ?? 0) - n);
    }
  }
  return used;
}

const storedHolds = (store: Store): Map<string, number> =>
  sumBy(store.all("SELECT feature, held AS n FROM credit_holds"));

/**
 * Open holds per feature as the clock sees them: the running sum minus holds whose TTL has
 * passed but which settle has not applied yet (an indexed range, normally empty).
 */
function heldByFeature(store: Store, now: Instant): Map<string, number> {
  const held = storedHolds(store);
  const lapsed = store.all<{ feature: string; n: number }>(
    "SELECT feature, SUM(credits) AS n FROM credit_reservations WHERE state = 'open' AND expires_at <= ? GROUP BY feature",
    now,
  );
  for (const { feature, n } of lapsed) held.set(feature, (held.get(feature) ?? 0) - n);
  return held;
}

export const featureLimits = (store: Store): Map<string, number> =>
  sumBy(store.all("SELECT feature, credit_limit AS n FROM credit_feature_limits"));

export const announcedThresholds = (store: Store, periodStart: Instant): Set<number> =>
  new Set(
    store
      .all<{ percent: number }>(
        "SELECT percent FROM credit_thresholds WHERE period_start = ?",
        periodStart,
      )
      .map((r) => r.percent),
  );

export function total(m: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const n of m.values()) sum += n;
  return sum;
}

/**
 * The counters at ctx.now, for the object to keep in memory: exactly what a view reads at the
 * same instant. Holds are counted as the clock sees them, never as stored: settle expires
 * lapsed holds in bounded batches, so after thousands lapse at once the stored running sum
 * still includes the rest until later batches run, and deciding from it would refuse spends
 * that the check and the views allow. The object reloads the counters after every settle (a
 * full batch leaves the workspace due at once), so later batches never apply twice.
 */
export function loadCreditCounters(ctx: WorkspaceContext): CreditCounters {
  const period = currentPeriod({ ...ctx, counters: undefined });
  return {
    period,
    packages: activePackages(ctx.store, ctx.now),
    used: usedByFeature(ctx.store, period.start),
    held: heldByFeature(ctx.store, ctx.now),
    featureLimits: featureLimits(ctx.store),
    announced: announcedThresholds(ctx.store, period.start),
    holdExpiry: null,
    ledgerSeq: storedLedgerSeq(ctx.store),
    budgets: loadBudgets(ctx.store, ctx.now, period.start),
  };
}

/** Everything a credit decision or view needs, from counters only. */
export interface CreditState {
  period: Period;
  packages: readonly PackageRow[];
  addOnCredits: number;
  /** The pool alone: what top-ups paid or hold is theirs (docs/rules.md, "Budgets inside the pool"). */
  pool: Pool;
  features: Record<AiFeature, FeatureUse>;
  budgets: BudgetCounters;
}

/** From the object's counters when it passes them (no storage read), else from storage. */
export function loadCreditState(ctx: WorkspaceContext): CreditState {
  const c = ctx.counters;
  const period = c?.period ?? currentPeriod(ctx);
  const packages = c?.packages ?? activePackages(ctx.store, ctx.now);
  const used = c?.used ?? usedByFeature(ctx.store, period.start);
  const held = c?.held ?? heldByFeature(ctx.store, ctx.now);
  const limits = c?.featureLimits ?? featureLimits(ctx.store);
  const addOnCredits = packages.reduce((sum, p) => sum + p.credits, 0);
  const budgets = budgetsOf(ctx, period.start);
  const topups = topupParts(budgets);
  // A loop, not Object.fromEntries over mapped pairs: every check and consume builds this.
  const features = {} as Record<AiFeature, FeatureUse>;
  for (const feature of AI_FEATURES) {
    features[feature] = {
      feature,
      used: used.get(feature) ?? 0,
      held: held.get(feature) ?? 0,
      limit: limits.get(feature) ?? null,
      inPlan: ctx.limits.features.includes(feature),
    };
  }
  return {
    period,
    packages,
    addOnCredits,
    pool: {
      balance: ctx.limits.includedCredits + addOnCredits,
      used: total(used) - topups.used,
      held: total(held) - topups.held,
    },
    features,
    budgets,
  };
}

/** The pool alone, which a threshold needs: from the counters without building every feature. */
export function poolOf(ctx: WorkspaceContext): Pool {
  const c = ctx.counters;
  if (c === undefined) return loadCreditState(ctx).pool;
  const topups = topupParts(c.budgets);
  return {
    balance: ctx.limits.includedCredits + c.packages.reduce((sum, p) => sum + p.credits, 0),
    used: total(c.used) - topups.used,
    held: total(c.held) - topups.held,
  };
}
