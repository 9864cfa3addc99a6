import type { PeriodBounds } from "./credits";
import type { PolicyEvent } from "./events";
import { DAY_MS, type Instant, iso } from "./time";

// The forecast (docs/rules.md, "Budgets inside the pool"): how fast credits are going and when
// the pool plus the top-ups would run out at that rate, from daily totals (the roll-ups), never
// from the ledger.

/** The rate is measured over the last 7 days, or over the period so far when it is shorter. */
export const FORECAST_WINDOW_DAYS = 7;

/** Credits used on one day: a daily roll-up's total over features. */
export interface DayTotal {
  /** The instant the day starts. */
  startsAt: Instant;
  credits: number;
}

export interface Forecast {
  /** Credits per day over the window, two decimals. */
  dailyRate: number;
  /** When the pool plus top-ups would run out at that rate; null if not before the reset. */
  exhaustsAt: Instant | null;
  basis: "last7Days" | "periodSoFar";
}

/**
 * The rate over [windowStart, now), windowStart = max(period start, now − 7 days), from the
 * days that start in it (a day that began before the window counts for the part inside it,
 * pro rata), and the instant `remaining` runs out at that rate. Nothing used: no exhaustion.
 * Remaining at or below zero: now.
 */
export function forecast(
  days: readonly DayTotal[],
  now: Instant,
  period: PeriodBounds,
  remaining: number,
): Forecast {
  const windowStart = Math.max(period.start, now - FORECAST_WINDOW_DAYS * DAY_MS);
  const basis = windowStart === period.start ? "periodSoFar" : "last7Days";
  const elapsedMs = Math.max(now - windowStart, 1);
  let used = 0;
  for (const d of days) {
    const start = Math.max(d.startsAt, windowStart);
    const end = Math.min(d.startsAt + DAY_MS, now);
    if (end <= start) continue;
    // A day straddling the window's start counts for the share of it inside the window.
    used += d.credits * ((end - start) / Math.min(DAY_MS, Math.max(now - d.startsAt, 1)));
  }
  const perMs = used / elapsedMs;
  const dailyRate = Math.round(perMs * DAY_MS * 100) / 100;
  let exhaustsAt: Instant | null;
  if (remaining <= 0) exhaustsAt = now;
  else if (perMs <= 0) exhaustsAt = null;
  else exhaustsAt = now + Math.ceil(remaining / perMs);
  if (exhaustsAt !== null && exhaustsAt >= period.end) exhaustsAt = null;
  return { dailyRate, exhaustsAt, basis };
}

/** Announced once per period, when the forecast first runs out before the reset. */
export function forecastEvent(f: Forecast, period: PeriodBounds, remaining: number): PolicyEvent {
  return {
    type: "credits.forecast",
    data: {
      dailyRate: f.dailyRate,
      exhaustsAt: f.exhaustsAt === null ? null : iso(f.exhaustsAt),
      basis: f.basis,
      remaining,
      periodStart: iso(period.start),
      nextResetAt: iso(period.end),
    },
  };
}
