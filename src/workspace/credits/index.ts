import { periodOf } from "../../policy/periods";
import { earliest } from "../../policy/time";
import type { Domain } from "../domain";
import { applyAlerts } from "./alerts";
import { budgetMigrations, nextTopupExpiry } from "./budgets";
import { applyThresholds } from "./counters";
import { currentPeriod, loadSchedule } from "./period";
import { applyRenewals } from "./renewals";
import { expireReservations } from "./reservations";
import { creditsPruneDeadline, pruneCredits } from "./retention";
import { creditMigrations } from "./schema";

export type { LedgerQuery } from "../../policy/ledgerView";
export {
  type AlertRuleInput,
  deleteAlertRule,
  getAlertRule,
  listAlertRules,
  putAlertRule,
} from "./alerts";
export { putTopup, setAgentLimit, type TopupInput } from "./budgets";
export { type DailyCredits, dailyCredits } from "./daily";
export { type LedgerEntryView, ledgerEntry, type Receipt, receiptAt } from "./ledger";
export { ledgerListing } from "./ledgerView";
export { type PackageInput, putPackage, setFeatureLimit } from "./packages";
export { currentPeriod, ledgerFrom } from "./period";
export { consumeQuestion } from "./questions";
export { setPeriodAnchor } from "./renewals";
export {
  commitReservation,
  getReservation,
  releaseReservation,
} from "./reservations";
export { creditMigrations } from "./schema";
export {
  checkCredits,
  consumeCredits,
  type ReserveRequest,
  reserveCredits,
  type SpendAnswer,
  type SpendRequest,
} from "./spend";
export { loadCreditCounters, loadCreditState } from "./state";
export { copilotQuestionsUsage, creditsUsage, creditsView } from "./views";

/** Credits as one of the object's domains: what settle applies and when it is next due. */
export const creditsDomain: Domain = {
  migrations: creditMigrations,
  settle(ctx) {
    const schedule = loadSchedule(ctx);
    const period = periodOf(schedule, ctx.now);
    applyRenewals(ctx, schedule);
    expireReservations(ctx, schedule);
    // A balance can drop without a spend (a package expires, seats go down).
    applyThresholds(ctx, period);
  },
  nextDeadline(ctx) {
    const hold = ctx.store.one<{ at: number | null }>(
      "SELECT MIN(expires_at) AS at FROM credit_reservations WHERE state = 'open'",
    )?.at;
    const pkg = ctx.store.one<{ at: number | null }>(
      "SELECT MIN(expires_at) AS at FROM credit_packages WHERE expires_at > ?",
      ctx.now,
    )?.at;
    return earliest(currentPeriod(ctx).end, hold ?? null, pkg ?? null);
  },
  prune: pruneCredits,
  pruneDeadline: creditsPruneDeadline,
};

/**
 * Budgets inside the pool as a domain of their own, after every other (their columns extend
 * the credit tables; they read the agents): a top-up's expiry is a deadline, and a settle
 * after any change fires and re-arms alert rules (docs/rules.md, "Alert rules").
 */
export const budgetsDomain: Domain = {
  migrations: budgetMigrations,
  settle(ctx) {
    applyAlerts(ctx, currentPeriod(ctx), true);
  },
  nextDeadline: (ctx) => nextTopupExpiry(ctx.store, ctx.now),
};
