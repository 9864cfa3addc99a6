import { z } from "@hono/zod-openapi";
import { ALERT_METRICS, MAX_ALERT_RULES } from "../policy/alerts";
import { AI_FEATURES } from "../policy/catalogue";
import { MAX_CREDITS_PER_CALL } from "../policy/credits";
import { AgentId } from "./agents";
import { CreatedId, Instant, WorkspaceParams } from "./common";

// Budgets inside the pool (docs/rules.md, "Budgets inside the pool"): agent caps, top-ups and
// alert rules. Kept apart from credits.ts, which imports the shapes it extends from here.

const count = z.number().int();
const nullableCount = z.number().int().nullable();
const at = z.string().describe("UTC ISO-8601 instant");
/** Caps go well beyond one call's credits, as feature caps do. */
const MAX_AGENT_LIMIT = 1_000_000_000;

/** A decision's agent figures, present when the spend named an agent. */
export const AgentCreditsFigures = {
  agentId: z.string().optional().describe("The agent the spend named"),
  agentLimit: nullableCount.optional().describe("The agent's cap this period; null = uncapped"),
  agentUsed: count.optional(),
  agentHeld: count.optional(),
  agentRemaining: nullableCount
    .optional()
    .describe("agentLimit − agentUsed − agentHeld; null = uncapped"),
};

export const Topup = z
  .object({
    id: z.string(),
    credits: count.describe("Credits bought"),
    used: count.describe("Credits it paid, in any period"),
    held: count.describe("Credits of open reservations drawn from it"),
    remaining: count.describe("credits − used − held while active; 0 once expired"),
    expiresAt: at,
    active: z.boolean().describe("now < expiresAt"),
  })
  .openapi("CreditTopup");

export const AgentCredits = z
  .object({
    agentId: z.string(),
    deleted: z.boolean().describe("A deleted agent's use this period stays counted and listed"),
    creditsUsed: count,
    creditsHeld: count,
    creditLimit: nullableCount.describe("null = uncapped"),
    creditsRemaining: nullableCount.describe("creditLimit − used − held; null = uncapped"),
  })
  .openapi("AgentCredits");

export const AgentLimitParams = WorkspaceParams.extend({
  agentId: AgentId.openapi({
    param: { name: "agentId", in: "path" },
    description: "The agent's id, URL-encoded",
  }),
});

export const AgentLimitInput = z
  .strictObject({
    limit: z
      .number()
      .int()
      .min(0)
      .max(MAX_AGENT_LIMIT)
      .nullable()
      .describe(
        `Credits per period for this agent, an integer from 0 to ${MAX_AGENT_LIMIT.toLocaleString("en-US")}; 0 stops it; null removes the cap`,
      ),
  })
  .openapi("AgentLimitInput", { example: { limit: 2000 } });

export const TopupInput = z
  .strictObject({
    id: CreatedId.describe("The billing system's id (not `.` or `..`); a top-up is bought once"),
    credits: z
      .number()
      .int()
      .min(1)
      .max(MAX_CREDITS_PER_CALL)
      .describe("Credits bought once, drawn after the period's pool"),
    expiresAt: Instant.describe("Its credits count while now < expiresAt, across periods"),
  })
  .openapi("CreditTopupInput", {
    example: { id: "topup-2026-07-21", credits: 3000, expiresAt: "2026-12-31T00:00:00.000Z" },
  });

export const TopupAnswer = Topup.extend({
  created: z.boolean().describe("false when the same top-up was posted before"),
  createdAt: at,
}).openapi("CreditTopupAnswer");

// ---- alert rules ---------------------------------------------------------------------------

const RuleId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "must be 1-64 letters, digits, `_` or `-`");

export const AlertParams = WorkspaceParams.extend({
  id: RuleId.openapi({ param: { name: "id", in: "path" }, example: "pool-90" }),
});

const AlertScope = z
  .union([
    z.strictObject({ pool: z.literal(true) }),
    z.strictObject({ feature: z.enum(AI_FEATURES) }),
    z.strictObject({ agentId: AgentId }),
  ])
  .describe("What the figure is of: `{pool: true}`, `{feature}` or `{agentId}`");

export const AlertRuleInput = z
  .strictObject({
    metric: z
      .enum(ALERT_METRICS)
      .describe(
        "percentUsed: of the pool's balance, or of the feature's or agent's cap (fires at or above); remaining: the pool's plus top-ups', or the cap's (fires at or below)",
      ),
    threshold: z
      .number()
      .min(0)
      .max(MAX_AGENT_LIMIT)
      .describe("A percentage (0-100 and above) or a number of credits"),
    scope: AlertScope,
  })
  .openapi("CreditAlertRuleInput", {
    example: { metric: "percentUsed", threshold: 90, scope: { pool: true } },
  });

export const AlertRule = z
  .object({
    id: z.string(),
    metric: z.enum(ALERT_METRICS),
    threshold: z.number(),
    scope: AlertScope,
    figure: z
      .number()
      .nullable()
      .describe("The rule's figure now; null for an uncapped feature or agent"),
    crossed: z.boolean().describe("Whether the figure is across the threshold now"),
    firedThisPeriod: z.boolean().describe("Fired this period and not re-armed since"),
    periodStart: at,
  })
  .openapi("CreditAlertRule");

export const AlertRuleAnswer = AlertRule.extend({
  created: z.boolean().describe("false when a rule with this id was replaced"),
}).openapi("CreditAlertRuleAnswer");

export const AlertRuleList = z
  .object({ rules: z.array(AlertRule).max(MAX_ALERT_RULES) })
  .openapi("CreditAlertRules");

export const AlertRuleDeleted = z
  .object({
    deleted: z.literal(true),
    rule: z.object({
      id: z.string(),
      metric: z.enum(ALERT_METRICS),
      threshold: z.number(),
      scope: AlertScope,
    }),
  })
  .openapi("CreditAlertRuleDeleted");
