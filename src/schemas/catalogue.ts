import { z } from "@hono/zod-openapi";
import {
  AI_FEATURES,
  type AiFeature,
  type CatalogueVersion as CatalogueVersionData,
  PLANS,
  type Plan,
} from "../policy/catalogue";
import { SHARD_FAN_OUT_STATES } from "../policy/fanOut";
import { Instant } from "./common";

/**
 * The plan catalogue as data (docs/catalogue.md): one schema gives the validation, the type
 * (checked equal to the policy's `CatalogueVersion` below) and the OpenAPI document.
 */
export const CatalogueVersionId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/)
  .describe("A catalogue version's id: lowercase letters, digits, `.`, `_`, `-`; at most 40.")
  .openapi({ example: "2026-09" });

const perSeat = z.number().int().min(0).max(10_000_000);
const absolute = z.number().int().min(0).max(1_000_000).nullable();

const ChannelRule = z
  .union([
    z.strictObject({ kind: z.literal("perSeat") }),
    z.strictObject({ kind: z.literal("atLeast"), included: z.number().int().min(0).max(1_000) }),
    z.null(),
  ])
  .describe(
    "WhatsApp numbers and Instagram accounts: one per seat, at least N, or null = unlimited.",
  );

const LegacyKeeps = z.strictObject({
  leadsPerSeat: perSeat.optional(),
  contactsAndCompaniesPerSeat: perSeat.optional(),
  aiCreditsPerSeat: perSeat.optional(),
  activeAgents: absolute.optional(),
  copilotQuestions: absolute.optional(),
});

export const PlanTerms = z
  .strictObject({
    leadsPerSeat: perSeat,
    contactsAndCompaniesPerSeat: perSeat,
    aiCreditsPerSeat: perSeat,
    activeAgents: absolute,
    copilotQuestions: absolute,
    channels: ChannelRule,
    features: z
      .array(z.enum(AI_FEATURES))
      .max(AI_FEATURES.length)
      .describe("The plan's AI features; `ai_agent` also needs at least one active agent."),
    legacy: z
      .strictObject({ subscribedBefore: Instant, keeps: LegacyKeeps })
      .nullable()
      .describe("Subscriptions started before `subscribedBefore` keep these numbers."),
    connectedBefore: Instant.nullable().describe(
      "Channels connected before this instant count but are never disabled.",
    ),
  })
  .openapi("PlanTerms");

const plansShape = Object.fromEntries(PLANS.map((p) => [p, PlanTerms])) as Record<
  Plan,
  typeof PlanTerms
>;
const costsShape = Object.fromEntries(
  AI_FEATURES.map((f) => [f, z.number().int().min(1).max(1_000)]),
) as Record<AiFeature, z.ZodNumber>;

/** A draft as PUT writes it: every plan and every feature's average cost. */
export const CatalogueDraftInput = z
  .strictObject({
    plans: z.strictObject(plansShape),
    featureCosts: z.strictObject(costsShape),
  })
  .openapi("CatalogueDraftInput");

export const CATALOGUE_STATUSES = [
  "draft",
  "scheduled",
  "in_force",
  "superseded",
  "withdrawn",
] as const;

export const CatalogueVersion = z
  .object({
    id: CatalogueVersionId,
    effectiveAt: z.string().nullable().describe("null while a draft"),
    status: z.enum(CATALOGUE_STATUSES),
    builtIn: z.boolean(),
    plans: z.strictObject(plansShape),
    featureCosts: z.strictObject(costsShape),
    publishedAt: z.string().nullable(),
    withdrawnAt: z.string().nullable(),
  })
  .openapi("CatalogueVersion");

export const CatalogueList = z
  .object({
    now: z.string(),
    inForce: CatalogueVersionId,
    versions: z.array(CatalogueVersion.omit({ plans: true, featureCosts: true })),
  })
  .openapi("CatalogueList");

const shardCount = z.number().int().min(0);
export const FanOutProgress = z
  .object({
    generation: z
      .number()
      .int()
      .min(0)
      .describe("The schedule's generation: one per publish and per withdrawal, ever"),
    done: z.boolean().describe("Every shard told every one of its workspaces of this generation"),
    shards: z
      .object({
        done: shardCount,
        telling: shardCount,
        behind: shardCount,
        unreachable: shardCount,
      })
      .describe(
        "Shards by state: told all, still telling, not yet announced this generation (the cron announces it within a minute), no answer",
      ),
    byShard: z.array(
      z.object({
        shard: z.number().int().min(0),
        state: z.enum(SHARD_FAN_OUT_STATES),
        generation: z.number().int().min(0).nullable(),
        toldThrough: z
          .string()
          .nullable()
          .describe("The last workspace id told, in id order (null: none yet, or all)"),
      }),
    ),
  })
  .openapi("CatalogueFanOut");

export const PublishInput = z
  .strictObject({
    effectiveAt: Instant.describe("At least 10 minutes ahead of now."),
  })
  .openapi("CataloguePublishInput");

export const VersionParams = z.object({ id: CatalogueVersionId });

/** The one schema and the policy's type are the same shape (compile-time check). */
type Wire = { id: string; effectiveAt: string } & z.infer<typeof CatalogueDraftInput>;
const sameShape = <A, B>(_: A extends B ? (B extends A ? true : never) : never) => true;
sameShape<Wire, CatalogueVersionData>(true);

export const PreviewInput = z
  .strictObject({
    asOf: Instant.optional().describe(
      "The instant whose version in force the draft is compared with; default now.",
    ),
  })
  .openapi("CataloguePreviewInput");

export const PreviewQuery = z.object({
  format: z.enum(["json", "csv"]).optional().describe("csv: the full list, one line a workspace"),
});

const nullableCount = z.number().int().nullable();
const PreviewLimits = z.object({
  leads: nullableCount,
  contactsAndCompanies: nullableCount,
  whatsapp: nullableCount,
  instagram: nullableCount,
  activeAgents: nullableCount,
  includedCredits: z.number().int(),
});
const Over = z.object({
  leads: z.number().int(),
  contactsAndCompanies: z.number().int(),
  whatsapp: z.number().int(),
  instagram: z.number().int(),
  agents: z.number().int(),
});
const OverCount = z.object({ workspaces: z.number().int(), total: z.number().int() });
const Totals = z.object({
  workspacesOver: z.number().int(),
  totalOver: z.number().int(),
  alreadyOver: OverCount.describe(
    "Of those, the workspaces already over the limit under the version in force, and their total",
  ),
  pushedOver: OverCount.describe(
    "Of those, the workspaces the new version pushes over the limit, and their total",
  ),
});

export const CataloguePreview = z
  .object({
    version: CatalogueVersionId,
    inForce: CatalogueVersionId,
    asOf: z.string(),
    workspaces: z.number().int().describe("Workspaces the version would apply to (not pinned)"),
    pinned: z.number().int(),
    limits: z
      .object({
        leads: Totals,
        contactsAndCompanies: Totals,
        whatsapp: Totals,
        instagram: Totals,
        agents: Totals,
      })
      .describe(
        "Per limit: workspaces over the new limit and by how much in total (leads/contacts blocked after the grace, channels disabled (never a grandfathered one), agents set offline), split into those already over under the version in force and those the new version pushes over",
      ),
    plans: z.record(
      z.string(),
      z.object({
        workspaces: z.number().int(),
        creditsGained: z.number().int(),
        creditsLost: z.number().int(),
      }),
    ),
    mostAffected: z
      .array(
        z.object({
          workspaceId: z.string(),
          plan: z.string(),
          over: Over,
          overBefore: Over.describe("The same figures under the version in force"),
          creditsDelta: z.number().int(),
          before: PreviewLimits,
          after: PreviewLimits,
        }),
      )
      .max(100),
    pinnedWorkspaces: z.array(z.string()),
  })
  .openapi("CataloguePreview");
