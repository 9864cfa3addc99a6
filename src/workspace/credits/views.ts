import { topupsRemaining } from "../../policy/budgets";
import { AI_FEATURES } from "../../policy/catalogue";
import { percentUsed, remainingOf } from "../../policy/credits";
import { iso } from "../../policy/time";
import type { WorkspaceContext } from "../context";
import { agentsView, topupView } from "./budgets";
import { creditForecast, forecastView } from "./forecast";
import { receiptAt } from "./ledger";
import { featureView, packageView } from "./packages";
import { currentPeriod } from "./period";
import { questionsSection } from "./questions";
import { type CreditState, loadCreditState } from "./state";

// The credit views: GET credits and the credit sections of GET usage.

/** Remaining is the pool's plus the top-ups' (docs/rules.md, "Budgets inside the pool"). */
export function remainingFigures(ctx: WorkspaceContext, state: CreditState) {
  const topupRemaining = topupsRemaining(state.budgets.topups, ctx.now);
  const poolRemaining = remainingOf(state.pool);
  return { remaining: poolRemaining + topupRemaining, poolRemaining, topupRemaining };
}

/** GET credits: the pool, its packages (active ones only) and every feature of the catalogue. */
export function creditsView(ctx: WorkspaceContext) {
  const state = loadCreditState(ctx);
  const { pool, period } = state;
  const remaining = remainingFigures(ctx, state);
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
    ...remaining,
    percentUsed: percentUsed(pool.used, pool.balance),
    features: AI_FEATURES.map((f) => featureView(state.features[f], ctx.catalogue.featureCosts)),
    copilotQuestions: questionsSection(ctx, period),
    receipt: receiptAt(ctx),
    topups: state.budgets.topups.map((t) => topupView(t, ctx.now)),
    agents: agentsView(state.budgets),
    forecast: forecastView(creditForecast(ctx, remaining.remaining)),
  };
}

/** The credits section of GET usage: `limit` is the monthly balance. */
export function creditsUsage(ctx: WorkspaceContext) {
  const state = loadCreditState(ctx);
  const { pool, period } = state;
  return {
    used: pool.used,
    limit: pool.balance,
    held: pool.held,
    ...remainingFigures(ctx, state),
    percentUsed: percentUsed(pool.used, pool.balance),
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
  };
}

/** The copilotQuestions section of GET usage. */
export const copilotQuestionsUsage = (ctx: WorkspaceContext) =>
  questionsSection(ctx, currentPeriod(ctx));
