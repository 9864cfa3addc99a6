import { z } from "@hono/zod-openapi";
import { AI_FEATURES, PLANS } from "../policy/catalogue";
import { MAX_CREDITS_PER_CALL, MAX_TTL_SECONDS } from "../policy/credits";
import { AgentCredits, AgentCreditsFigures, Topup } from "./budgets";
import { ClientId, CreatedId, Instant, OPAQUE_CURSOR, pageQuery, WorkspaceParams } from "./common";

const Feature = z.enum(AI_FEATURES).describe("An AI feature of the plan catalogue");
const CreditAmount = z
  .number()
  .int()
  .min(1)
  .max(MAX_CREDITS_PER_CALL)
  .describe(`Credits, an integer from 1 to ${MAX_CREDITS_PER_CALL.toLocaleString("en-US")}`);
const count = z.number().int();
const nullableCount = z.number().int().nullable();
const at = z.string().describe("UTC ISO-8601 instant");
/** Caps go well beyond one call's credits: a large workspace's balance is in the millions. */
const MAX_FEATURE_LIMIT = 1_000_000_000;

// ---- requests ------------------------------------------------------------------------------

export const FeatureParams = WorkspaceParams.extend({
  feature: Feature.openapi({ param: { name: "feature", in: "path" } }),
});

export const ReservationParams = WorkspaceParams.extend({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, "must be a reservation id")
    .openapi({ param: { name: "id", in: "path" }, example: "rsv_0f8c…" }),
});

/** The agent a spend names (docs/rules.md, "Budgets inside the pool"): one of the workspace's. */
const SpendAgent = ClientId.optional().describe(
  "The AI agent spending, an agent of this workspace: its cap applies too (an unknown one is a 400)",
);

export const SpendInput = z
  .strictObject({ feature: Feature, credits: CreditAmount, agentId: SpendAgent })
  .openapi("SpendInput", { example: { feature: "ai_rewriter", credits: 2 } });

export const ReserveInput = z
  .strictObject({
    feature: Feature,
    credits: CreditAmount.describe("The estimate to hold"),
    agentId: SpendAgent,
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_TTL_SECONDS)
      .optional()
      .describe(
        `How long the hold lasts unless committed or released; default 60, at most ${MAX_TTL_SECONDS}`,
      ),
  })
  .openapi("ReserveInput", { example: { feature: "ai_agent", credits: 30, ttlSeconds: 120 } });

export const CommitInput = z
  .strictObject({
    credits: z
      .number()
      .int()
      .min(0)
      .max(MAX_CREDITS_PER_CALL)
      .describe("The actual cost, charged in full even above the estimate; 0 charges nothing"),
  })
  .openapi("CommitInput", { example: { credits: 34 } });

export const FeatureLimitInput = z
  .strictObject({
    limit: z
      .number()
      .int()
      .min(0)
      .max(MAX_FEATURE_LIMIT)
      .nullable()
      .describe(
        `Credits per period for this feature, an integer from 0 to ${MAX_FEATURE_LIMIT.toLocaleString("en-US")}; 0 stops it; null removes the cap`,
      ),
  })
  .openapi("FeatureLimitInput", { example: { limit: 500 } });

export const PackageInput = z
  .strictObject({
    id: CreatedId.describe(
      "The billing system's id (not `.` or `..`); posting it again updates the package",
    ),
    credits: CreditAmount.describe("Credits the package adds to every period while it is active"),
    expiresAt: Instant.describe("The package counts while now < expiresAt"),
  })
  .openapi("CreditPackageInput", {
    example: { id: "pkg-2026-07", credits: 5000, expiresAt: "2027-07-15T00:00:00.000Z" },
  });

/** The largest sequence a path may name: the ledger's id is an integer JavaScript holds exactly. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export const LedgerEntryParams = WorkspaceParams.extend({
  seq: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SEQ)
    .openapi({
      param: { name: "seq", in: "path" },
      example: 42,
      description: "A receipt's `seq`: the entry's place in the ledger",
    }),
});

// ---- answers -------------------------------------------------------------------------------

export const Receipt = z
  .object({
    seq: count.describe(
      "The ledger sequence: for a spend, hold, commit, release or question its own entry; for a check or a refusal the last entry it was decided against (0: the ledger is empty)",
    ),
    at: at.describe("When the decision was taken"),
  })
  .openapi("Receipt", {
    description:
      "Ties the answer to one ledger position: `GET .../credits/ledger/{seq}` returns the entry. A replayed answer carries its original receipt.",
  });

const poolFigures = {
  monthlyBalance: count.describe("Included credits (per seat × seats) plus active packages"),
  used: count.describe("Credits the pool paid this period (top-ups pay the rest)"),
  held: count.describe("Credits the pool holds for open reservations"),
  remaining: count.describe(
    "poolRemaining + topupRemaining; below zero after an overrun with no top-up left",
  ),
  poolRemaining: count.describe("monthlyBalance − used − held: the pool alone"),
  topupRemaining: count.describe("What the active top-ups have left"),
  featureLimit: nullableCount.describe("The feature's cap this period; null = uncapped"),
  featureUsed: count,
  featureHeld: count,
  featureRemaining: nullableCount.describe(
    "featureLimit − featureUsed − featureHeld; null = uncapped",
  ),
  periodStart: at,
  nextResetAt: at.describe("When usage resets: the next period start"),
};

export const SpendDecision = z
  .object({
    allowed: z.boolean(),
    reason: z
      .enum([
        "insufficient_credits",
        "feature_limit_reached",
        "feature_not_in_plan",
        "agent_limit_reached",
      ])
      .optional(),
    message: z.string().describe("Why, in words a person can read"),
    feature: Feature,
    credits: count,
    ...poolFigures,
    upgradeTo: z.enum(PLANS).optional().describe("The cheapest plan that includes the feature"),
    receipt: Receipt,
    ...AgentCreditsFigures,
  })
  .openapi("CreditDecision", {
    description: "The figures are as they stand after the call (a check changes nothing).",
  });

export const ReserveDecision = SpendDecision.extend({
  reservationId: z.string().nullable().describe("null when refused"),
  expiresAt: at.nullable().describe("When the hold frees itself; null when refused"),
  ttlSeconds: count,
}).openapi("ReservationDecision");

export const Reservation = z
  .object({
    reservationId: z.string(),
    feature: Feature,
    credits: count.describe("The estimate held"),
    state: z.enum(["open", "committed", "released", "expired"]),
    createdAt: at,
    expiresAt: at,
    charged: nullableCount.describe("The actual cost once committed"),
    closedAt: at.nullable(),
  })
  .openapi("Reservation");

export const Committed = z
  .object({
    reservationId: z.string(),
    state: z.literal("committed"),
    feature: Feature,
    reserved: count,
    charged: count.describe("The actual cost, charged in full"),
    overrun: count.describe("How much the actual exceeded the estimate, else 0"),
    committedAt: at,
    message: z.string(),
    ...poolFigures,
    receipt: Receipt,
  })
  .openapi("ReservationCommitted");

export const Released = z
  .object({
    reservationId: z.string(),
    state: z.literal("released"),
    feature: Feature,
    reserved: count,
    released: count.describe("Credits freed"),
    releasedAt: at,
    message: z.string(),
    ...poolFigures,
    receipt: Receipt,
  })
  .openapi("ReservationReleased");

export const FeatureCredits = z
  .object({
    feature: Feature,
    inPlan: z.boolean().describe("Whether the workspace's plan includes the feature"),
    averageCost: count.describe("Average credits per request (platform configuration)"),
    creditsUsed: count,
    creditsHeld: count,
    creditLimit: nullableCount.describe("null = uncapped"),
    creditsRemaining: nullableCount.describe("creditLimit − used − held; null = uncapped"),
    estimatedRequests: nullableCount.describe("floor(creditLimit / averageCost); null = uncapped"),
  })
  .openapi("FeatureCredits");

const Package = z.object({ id: z.string(), credits: count, expiresAt: at });

export const PackageAnswer = Package.extend({
  active: z.boolean().describe("Whether it counts now (now < expiresAt)"),
  created: z.boolean().describe("false when an existing package was updated"),
  createdAt: at,
  updatedAt: at,
  monthlyBalance: count,
  addOnCredits: count,
}).openapi("CreditPackage");

export const CopilotQuestionsUsage = z
  .object({
    used: count,
    limit: nullableCount.describe("Questions per period; null = unlimited"),
    remaining: nullableCount,
    nextResetAt: at,
  })
  .openapi("CopilotQuestionsUsage");

export const CreditsUsage = z
  .object({
    used: count,
    limit: count.describe("the monthly balance"),
    held: count,
    remaining: count.describe("poolRemaining + topupRemaining"),
    poolRemaining: count,
    topupRemaining: count,
    percentUsed: z.number().describe("used / limit in percent, two decimals"),
    periodStart: at,
    nextResetAt: at,
  })
  .openapi("CreditsUsage");

export const CreditForecast = z
  .object({
    dailyRate: z
      .number()
      .describe("Credits charged per day over the basis (debits and commits), two decimals"),
    exhaustsAt: at
      .nullable()
      .describe(
        "When the pool plus the top-ups would run out at that rate; null if not before nextResetAt",
      ),
    basis: z
      .enum(["last7Days", "periodSoFar"])
      .describe("The last 7 days, or the period so far when it began less than 7 days ago"),
  })
  .describe("The forecast, from the daily roll-ups (docs/budgets.md#the-forecast)")
  .openapi("CreditForecast");

export const CreditsOverview = z
  .object({
    periodStart: at,
    nextResetAt: at,
    monthlyBalance: count,
    includedPerSeat: count,
    seats: count,
    includedCredits: count.describe("includedPerSeat × seats"),
    addOnCredits: count.describe("Credits of the packages active now"),
    packages: z.array(Package).describe("The packages active now (expired ones are not listed)"),
    used: count.describe("Credits the pool paid this period"),
    held: count.describe("Credits the pool holds"),
    remaining: count.describe("poolRemaining + topupRemaining"),
    poolRemaining: count.describe("monthlyBalance − used − held"),
    topupRemaining: count.describe("What the active top-ups have left"),
    percentUsed: z.number().describe("The pool's used / monthlyBalance; top-ups do not count"),
    features: z.array(FeatureCredits).describe("Every AI feature of the catalogue"),
    copilotQuestions: CopilotQuestionsUsage,
    receipt: Receipt.describe(
      "The ledger position these figures are as of: the last sequence written when they were read",
    ),
    topups: z
      .array(Topup)
      .describe("Top-ups that are active or still hold credits, in the order they are drawn"),
    agents: z
      .array(AgentCredits)
      .describe("Every agent, and every deleted agent with use this period, by id"),
    forecast: CreditForecast,
  })
  .openapi("Credits");

export const QuestionDecision = z
  .object({
    allowed: z.boolean(),
    reason: z.literal("question_limit_reached").optional(),
    message: z.string(),
    used: count.describe("Questions asked this period, after the call"),
    limit: nullableCount.describe("null = unlimited"),
    remaining: nullableCount,
    periodStart: at,
    nextResetAt: at,
    receipt: Receipt,
  })
  .openapi("CopilotQuestionDecision");

export const LedgerQuery = pageQuery("ledger entries");

export const LedgerEntry = z
  .object({
    id: count.describe("Its place in the ledger (a receipt's `seq`); also the cursor"),
    at: z.string(),
    kind: z
      .enum(["debit", "hold", "commit", "release", "expire", "question"])
      .describe(
        "debit: a consume; hold: a reservation; commit: its actual cost; release or expire: its hold freed; question: a Copilot question",
      ),
    feature: z.enum(AI_FEATURES).nullable(),
    credits: count,
    reservationId: z.string().nullable(),
    idempotencyKey: z.string().nullable(),
    role: z.string().nullable().describe("The caller's role; null for the object's own work"),
    periodStart: z.string().describe("The billing period it counts in"),
    agentId: z.string().nullable().describe("The agent it names, if any"),
    sources: z
      .array(z.object({ source: z.string(), credits: count }))
      .describe("Which source paid (or held, or got back) its credits: `pool`, or a top-up's id"),
  })
  .openapi("CreditLedgerEntry");

export const LedgerPage = z
  .object({
    entries: z.array(LedgerEntry),
    nextCursor: z.string().openapi({
      description: `${OPAQUE_CURSOR} With no new entries it is the cursor you sent.`,
    }),
    hasMore: z.boolean(),
  })
  .openapi("CreditLedgerPage");
