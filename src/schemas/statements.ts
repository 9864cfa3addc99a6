import { z } from "@hono/zod-openapi";
import { PLANS } from "../policy/catalogue";
import { Instant, MAX_PAGE, WorkspaceParams } from "./common";

export const StatementParams = WorkspaceParams.extend({
  periodStart: Instant.openapi({
    param: { name: "periodStart", in: "path" },
    description: "The closed period's start, as GET credits/statements lists it",
  }),
});

export const StatementQuery = z.object({
  format: z
    .enum(["json", "csv"])
    .default("json")
    .openapi({
      param: { name: "format", in: "query" },
      description: "`csv`: the same figures as `text/csv`, one `section,item,value` line each.",
    }),
});

export const StatementsQuery = z.object({
  before: Instant.optional().openapi({
    param: { name: "before", in: "query" },
    description: "Answer the periods that started before this instant (a page's `nextBefore`).",
  }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .default(24)
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Periods per page, 1-${MAX_PAGE} (default 24).`,
    }),
});

const credits = z.number().int();

export const Statement = z
  .object({
    periodStart: z.string(),
    periodEnd: z.string(),
    closedAt: z.string().describe("When the period closed (a renewal or an anchor change)"),
    plan: z.enum(PLANS).describe("The plan in force at the close"),
    seats: z.number().int(),
    includedCredits: credits.describe("The plan's credits for the period (per seat × seats)"),
    packages: z
      .array(
        z.object({
          id: z.string(),
          credits,
          createdAt: z.string(),
          expiresAt: z.string(),
        }),
      )
      .describe("Packages and top-ups that counted at any instant of the period"),
    openingBalance: credits.describe("Included credits plus the packages in force at the start"),
    balance: credits.describe("Included credits plus the packages in force at the close"),
    used: credits.describe("Credits charged in the period: the ledger's debits and commits"),
    usedByFeature: z.record(z.string(), credits),
    usedByAgent: z
      .record(z.string(), credits)
      .describe(
        "Credits charged in the period by spends naming an agent, by agent id (deleted agents included), from the daily roll-ups",
      ),
    overrun: credits.describe("Credits charged beyond the balance (commits over a reservation)"),
    expiredCredits: credits.describe("Credits left unused at the close: they do not roll over"),
    closingBalance: credits.describe("balance − used"),
    refusalsByReason: z
      .record(z.string(), z.number().int())
      .describe("Refused consumes and reservations in the period, by reason (checks write none)"),
  })
  .openapi("CreditStatement");

export const StatementList = z
  .object({
    statements: z.array(Statement).describe("Closed periods, newest first"),
    hasMore: z.boolean(),
    nextBefore: z.string().nullable().describe("Pass as `before` for the next page; null: none"),
  })
  .openapi("CreditStatementList");
