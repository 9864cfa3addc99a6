import { z } from "@hono/zod-openapi";

export const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const WorkspaceId = z
  .string()
  .regex(WORKSPACE_ID_PATTERN, "must be 1-64 characters of A-Za-z0-9_-")
  .openapi({ example: "acme" });

export const WorkspaceParams = z.object({
  ws: WorkspaceId.openapi({ param: { name: "ws", in: "path" } }),
});

/** An instant on the wire: ISO-8601 with a `Z` or an offset; answers are always UTC `Z`. */
export const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ example: "2026-07-15T00:00:00.000Z" });

/** Ids chosen by clients (entities, channels, agents, packages): bounded and printable. */
export const ClientId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "must be 1-128 printable ASCII characters without spaces");

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const IdempotencyHeader = z.object({
  "idempotency-key": z.string().regex(IDEMPOTENCY_KEY_PATTERN).optional().openapi({
    description:
      "Makes the call safe to retry for 24 hours: a replay answers the first answer byte for byte (with `Idempotent-Replayed: true`); the same key with another request is a 409.",
  }),
});
