import { periodOf } from "../../policy/periods";
import { earliest } from "../../policy/time";
import type { Domain } from "../domain";
import { applyThresholds } from "./counters";
import { currentPeriod, loadSchedule } from "./period";
import { applyRenewals } from "./renewals";
import { expireReservations } from "./reservations";
import { creditsPruneDeadline, pruneCredits } from "./retention";
import { creditMigrations } from "./schema";

export { type DailyCredits, dailyCredits } from "./daily";
export { type LedgerEntryView, ledgerEntry, ledgerPage, type Receipt, receiptAt } from "./ledger";
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
