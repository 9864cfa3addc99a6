import { AI_FEATURES } from "../../policy/catalogue";
import { percentUsed, remainingOf } from "../../policy/credits";
import { iso } from "../../policy/time";
import type { WorkspaceContext } from "../context";
import { receiptAt } from "./ledger";
import { featureView, packageView } from "./packages";
import { currentPeriod } from "./period";
import { questionsSection } from "./questions";
import { loadCreditState } from "./state";

// The credit views: GET credits and the credit sections of GET usage.

/** GET credits: the pool, its packages (active ones only) and every feature of the catalogue. */
export function creditsView(ctx: WorkspaceContext) {
  const state = loadCreditState(ctx);
  const { pool, period } = state;
  return {
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
    monthlyBalance: pool.balance,
    includedPerSeat: ctx.limits.aiCreditsPerSeat,
    seats: ctx.subscription.seats,
    includedCredits: ctx.limits.includedCredits,
    addOnCredits: state.addOnCredits,
    packages: state.packages.map(packageView),
    used: pool.used,
    held: pool.held,
    remaining: remainingOf(pool),
    percentUsed: percentUsed(pool.used, pool.balance),
    features: AI_FEATURES.map((f) => featureView(state.features[f], ctx.catalogue.featureCosts)),
    copilotQuestions: questionsSection(ctx, period),
    receipt: receiptAt(ctx),
  };
}

/** The credits section of GET usage: `limit` is the monthly balance. */
export function creditsUsage(ctx: WorkspaceContext) {
  const { pool, period } = loadCreditState(ctx);
  return {
    used: pool.used,
    limit: pool.balance,
    held: pool.held,
    remaining: remainingOf(pool),
    percentUsed: percentUsed(pool.used, pool.balance),
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
  };
}

/** The copilotQuestions section of GET usage. */
export const copilotQuestionsUsage = (ctx: WorkspaceContext) =>
  questionsSection(ctx, currentPeriod(ctx));
