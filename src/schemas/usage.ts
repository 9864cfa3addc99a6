import { z } from "@hono/zod-openapi";
import { ChannelUsage } from "./channels";
import { CopilotQuestionsUsage, CreditsUsage, Receipt } from "./credits";

const limit = z.number().int().nullable().describe("null = unlimited");
const state = z.enum(["ok", "grace", "enforced"]);

const entityUsage = z.object({
  used: z.number().int(),
  limit,
  blocked: z.number().int(),
  state,
  graceEndsAt: z.string().nullable(),
});

export const Usage = z
  .object({
    leads: entityUsage,
    contactsAndCompanies: entityUsage,
    whatsapp: ChannelUsage,
    instagram: ChannelUsage,
    agents: z.object({
      used: z.number().int().describe("active agents"),
      limit: limit.describe("active agent limit; null = unlimited"),
      total: z.number().int(),
      totalLimit: z.number().int(),
    }),
    credits: CreditsUsage,
    copilotQuestions: CopilotQuestionsUsage,
    receipt: Receipt.describe(
      "The ledger position these figures are as of: the last sequence written when they were read",
    ),
  })
  .openapi("Usage");
