import { z } from "@hono/zod-openapi";
import { AI_FEATURES } from "../policy/catalogue";

const count = z.number().int();
const at = z.string().describe("UTC ISO-8601 instant");

const perFeature = z
  .object(
    Object.fromEntries(AI_FEATURES.map((f) => [f, count])) as Record<
      (typeof AI_FEATURES)[number],
      typeof count
    >,
  )
  .describe("Credits charged to each AI feature that day (every feature, 0 when unused)");

export const DailyCredits = z
  .object({
    periodStart: at.describe("The current billing period's start; day 1 starts here"),
    nextResetAt: at.describe("The period's end: usage resets"),
    asOf: at.describe("The workspace clock when this was read"),
    daysInPeriod: count.describe(
      "Days in the whole period (28 to 31, fewer after an anchor change)",
    ),
    used: count.describe(
      "Credits charged this period: the sum of every day, equal to `used` of GET credits",
    ),
    features: z
      .array(z.enum(AI_FEATURES))
      .describe("The AI features, in the order of `features` of every day"),
    days: z
      .array(
        z.object({
          startsAt: at.describe("Day d covers 24 hours from periodStart + d days"),
          credits: count.describe("Credits charged that day, all features"),
          features: perFeature,
        }),
      )
      .describe(
        "One entry per day from the period start through today, oldest first: at most 31 days × 7 features",
      ),
  })
  .openapi("DailyCredits", {
    description:
      "Consumed credits and the actual cost of committed reservations, by day and feature; holds, releases and expiries charge nothing.",
  });
