import { z } from "@hono/zod-openapi";
import { ENTITY_KINDS, ENTITY_STATUSES, LEAD_OUTCOMES } from "../policy/entities";
import { ClientId, CreatedId, WorkspaceParams } from "./common";

/** The most ids one batch or lookup call takes: one bounded transaction per call. */
export const MAX_BULK_IDS = 1_000;

const kind = z.enum(ENTITY_KINDS);
const entityId = ClientId.describe("The CRM's id of the entity (unique per kind).");
/** What a create or a batch takes: an id a path can name (not `.` or `..`). */
const newEntityId = CreatedId.describe(
  "The CRM's id of the entity (unique per kind): 1-128 printable ASCII characters without spaces, not `.` or `..`.",
);

export const EntityKindParams = WorkspaceParams.extend({
  kind: kind.openapi({ param: { name: "kind", in: "path" } }),
});

export const EntityParams = EntityKindParams.extend({
  id: entityId.openapi({ param: { name: "id", in: "path" } }),
});

export const LeadParams = WorkspaceParams.extend({
  id: entityId.openapi({ param: { name: "id", in: "path" } }),
});

export const CreateEntityInput = z.strictObject({ id: newEntityId }).openapi("CreateEntityInput");

export const CloseLeadInput = z
  .strictObject({ outcome: z.enum(LEAD_OUTCOMES).describe("Closed - Won or Closed - Lost") })
  .openapi("CloseLeadInput");

export const EntityLimitUsage = z
  .object({
    used: z.number().int().describe("entities that count: open leads, or contacts and companies"),
    limit: z.number().int(),
    blocked: z.number().int().describe("entities blocked by enforcement, waiting for capacity"),
    state: z
      .enum(["ok", "grace", "enforced"])
      .describe(
        "`grace`: at or over the limit, nothing blocked until graceEndsAt. `enforced`: the grace ended; the entities beyond the limit were blocked, newest first, and every new or reopened one is blocked until the count falls below the limit.",
      ),
    graceEndsAt: z.string().nullable().describe("the grace end of the current episode, if any"),
  })
  .openapi("EntityLimitUsage");

const entityFields = {
  kind,
  id: z.string(),
  status: z.enum(ENTITY_STATUSES),
  accessible: z.boolean().describe("false while blocked: visible, but no data, chats, automations"),
  outcome: z.enum(LEAD_OUTCOMES).nullable().describe("a closed lead's outcome"),
  updatedAt: z.string(),
};

export const Entity = z.object(entityFields).openapi("Entity");

export const EntityChange = z
  .object({
    ...entityFields,
    changed: z.boolean().describe("false when the entity already was in the asked-for state"),
    grace: z
      .object({ endsAt: z.string() })
      .optional()
      .describe("present while this entity's limit is in its 24-hour grace"),
    usage: EntityLimitUsage.describe("the entity's limit after the call"),
  })
  .openapi("EntityChange");

export const EntityDeletion = z
  .object({ kind, id: z.string(), deleted: z.literal(true), usage: EntityLimitUsage })
  .openapi("EntityDeletion");

const bulkIds = (what: string, id: typeof entityId | typeof newEntityId) =>
  z
    .array(id)
    .min(1)
    .max(MAX_BULK_IDS)
    .describe(`1-${MAX_BULK_IDS.toLocaleString("en")} ids, ${what}.`);

export const EntityBatchInput = z
  .strictObject({
    ids: bulkIds("created in this order; a repeated or known id counts once", newEntityId),
  })
  .openapi("EntityBatchInput");

export const EntityLookupInput = z
  .strictObject({ ids: bulkIds("answered in this order", entityId) })
  .openapi("EntityLookupInput");

const { kind: _kind, ...itemFields } = entityFields;

export const EntityBatch = z
  .object({
    kind,
    entities: z
      .array(
        z.object({
          ...itemFields,
          changed: z.boolean().describe("false for an id already known (or repeated in the batch)"),
          grace: z
            .object({ endsAt: z.string() })
            .optional()
            .describe("present when the limit was in its grace right after this id"),
        }),
      )
      .describe("one answer per id, in the order sent: what single creates would have answered"),
    created: z.number().int().describe("how many ids were new"),
    usage: EntityLimitUsage.describe("the limit after the whole batch"),
  })
  .openapi("EntityBatch");

export const EntityLookup = z
  .object({
    kind,
    entities: z
      .array(
        z.object({
          id: z.string(),
          status: z
            .enum([...ENTITY_STATUSES, "unknown"])
            .describe("`unknown`: never reported (or deleted)"),
          accessible: z.boolean().describe("false only while blocked"),
        }),
      )
      .describe("one answer per id, in the order sent"),
  })
  .openapi("EntityLookup");
