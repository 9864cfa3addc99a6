import { topupsRemaining } from "../../policy/budgets";
import { remainingOf } from "../../policy/credits";
import { type Forecast, forecast, forecastEvent } from "../../policy/forecast";
import { isoOrNull } from "../../policy/time";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { dailyCredits } from "./daily";
import { type CreditState, loadCreditState } from "./state";

/**
 * The forecast (docs/rules.md, "Budgets inside the pool"): how fast credits are going and when
 * the pool plus the top-ups would run out at that rate, from the period's credits per day (the
 * roll-ups and the few entries after their pointer, credits/daily.ts), never by scanning the
 * ledger. The pure rule is src/policy/forecast.ts.
 */

/** The period the last `credits.forecast` was recorded for (its start): once per period. */
export const FORECAST_KEY = "credits.forecastAnnounced";

/** The forecast at ctx.now for `remaining` credits (pool plus top-ups). */
export function creditForecast(ctx: WorkspaceContext, remaining: number): Forecast {
  const daily = dailyCredits(ctx);
  const days = daily.days.map((d) => ({ startsAt: Date.parse(d.startsAt), credits: d.credits }));
  const period = { start: Date.parse(daily.periodStart), end: Date.parse(daily.nextResetAt) };
  return forecast(days, ctx.now, period, remaining);
}

/** The forecast as the credits view answers it. */
export const forecastView = (f: Forecast) => ({
  dailyRate: f.dailyRate,
  exhaustsAt: isoOrNull(f.exhaustsAt),
  basis: f.basis,
});

const remainingOfState = (ctx: WorkspaceContext, state: CreditState): number =>
  remainingOf(state.pool) + topupsRemaining(state.budgets.topups, ctx.now);

/**
 * Records `credits.forecast` in the caller's transaction the first time in a period the
 * forecast runs out before the reset at a rate above zero (nothing spent for a week is no
 * forecast, whatever is left). Run by the alarm where the roll-ups are brought up to date, never
 * on a check or a spend. Answers whether it recorded the event.
 */
export function announceForecast(ctx: WorkspaceContext): boolean {
  const state = loadCreditState(ctx);
  if (ctx.store.getMeta<number>(FORECAST_KEY) === state.period.start) return false;
  const remaining = remainingOfState(ctx, state);
  const f = creditForecast(ctx, remaining);
  if (f.exhaustsAt === null || f.dailyRate <= 0) return false;
  recordEvents(ctx.store, [forecastEvent(f, state.period, remaining)], ctx.now);
  ctx.store.setMeta(FORECAST_KEY, state.period.start);
  return true;
}
