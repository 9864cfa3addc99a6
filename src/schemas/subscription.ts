import { z } from "@hono/zod-openapi";
import { AI_FEATURES, PLANS } from "../policy/catalogue";
import { CatalogueVersionId } from "./catalogue";
import { Instant, WorkspaceId } from "./common";

const MAX_SEATS = 100_000;
const perSeat = z.number().int().min(0).max(10_000_000);
const absolute = z.number().int().min(0).max(1_000_000).nullable();

export const Overrides = z
  .strictObject({
    leadsPerSeat: perSeat.optional(),
    contactsAndCompaniesPerSeat: perSeat.optional(),
    aiCreditsPerSeat: perSeat.optional(),
    activeAgents: absolute.optional(),
    whatsappNumbers: absolute.optional(),
    instagramAccounts: absolute.optional(),
    copilotQuestions: absolute.optional(),
  })
  .openapi("Overrides", {
    description:
      "Per-workspace overrides of the plan catalogue. Per-seat figures scale with seats; the others are absolute, `null` = unlimited.",
  });

export const SubscriptionInput = z
  .strictObject({
    plan: z.enum(PLANS),
    seats: z.number().int().min(1).max(MAX_SEATS),
    periodAnchor: Instant.describe(
      "Billing periods start at this instant plus whole months (same day and time; the last day of a shorter month). Changing it ends the period in force now, announced by a `credits.reset` with that period's figures, and starts a new period from now to the new anchor's next occurrence; later periods follow the new anchor. An anchor a whole number of months away from the current one changes nothing.",
    ),
    subscribedAt: Instant.optional().describe(
      "When the subscription started; before 2026-06-01 it is legacy. Defaults to the stored value, else periodAnchor.",
    ),
    overrides: Overrides.optional(),
    catalogueVersion: CatalogueVersionId.nullable()
      .optional()
      .describe(
        "Pins the workspace to this published catalogue version whatever is in force (a negotiated or grandfathered account); null or absent: the version in force. Overrides still apply on top.",
      ),
  })
  .openapi("SubscriptionInput");

const nullableCount = z.number().int().nullable();

export const Subscription = z
  .object({
    workspaceId: WorkspaceId,
    plan: z.enum(PLANS),
    seats: z.number().int(),
    periodAnchor: z.string(),
    subscribedAt: z.string(),
    legacy: z.boolean(),
    overrides: Overrides,
    limits: z.object({
      leadsPerSeat: z.number().int(),
      contactsAndCompaniesPerSeat: z.number().int(),
      aiCreditsPerSeat: z.number().int(),
      leads: z.number().int(),
      contactsAndCompanies: z.number().int(),
      includedCredits: z.number().int(),
      activeAgents: nullableCount,
      totalAgents: z.number().int(),
      whatsappNumbers: nullableCount,
      instagramAccounts: nullableCount,
      copilotQuestions: nullableCount,
    }),
    features: z.array(z.enum(AI_FEATURES)),
    updatedAt: z.string(),
    catalogueVersion: z.string().describe("The catalogue version these limits come from."),
    catalogueVersionPinned: z
      .string()
      .nullable()
      .describe("The version the platform pinned, null when the version in force applies."),
  })
  .openapi("Subscription");
