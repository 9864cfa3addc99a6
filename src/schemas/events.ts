import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../policy/events";

export const MAX_EVENTS_PAGE = 100;

/** A cursor is the decimal sequence number of the last event seen (15 digits stay exact). */
export const CURSOR_PATTERN = /^(0|[1-9][0-9]{0,14})$/;

export const EventsQuery = z.object({
  after: z
    .string()
    .regex(CURSOR_PATTERN, "must be a nextCursor from a previous page, or 0")
    .optional()
    .openapi({
      param: { name: "after", in: "query" },
      description:
        "Answer the events after this cursor (a previous page's `nextCursor`); omitted or `0` = from the oldest kept event.",
      example: "0",
    }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_EVENTS_PAGE)
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Events per page, 1-${MAX_EVENTS_PAGE} (default ${MAX_EVENTS_PAGE}).`,
      example: 100,
    }),
});

const at = z.string().nullable();

export const EventDelivery = z
  .object({
    status: z.enum(["pending", "delivered", "failed", "disabled"]).openapi({
      description:
        "`pending`: waiting for its next attempt; `delivered`: the webhook answered 2xx; `failed`: not delivered within 3 days of being recorded; `disabled`: no webhook was configured when it was recorded.",
    }),
    attempts: z.number().int(),
    lastAttemptAt: at,
    lastError: z.string().nullable().openapi({ description: "Why the last attempt failed." }),
    nextAttemptAt: at.openapi({ description: "When the next attempt is due (pending only)." }),
    deliveredAt: at,
  })
  .openapi("EventDelivery", { description: "Webhook delivery state of the event." });

export const Event = z
  .object({
    id: z.string().openapi({ description: "Unique; also the `webhook-id` of its delivery." }),
    type: z.enum(EVENT_TYPES),
    workspaceId: z.string(),
    occurredAt: z.string(),
    data: z.record(z.string(), z.unknown()),
    delivery: EventDelivery,
  })
  .openapi("Event");

export const EventsPage = z
  .object({
    events: z.array(Event),
    nextCursor: z.string().openapi({
      description:
        "Pass as `after` for the next page; with no new events it is the cursor you sent, so a poller can always reuse it.",
    }),
    hasMore: z.boolean().openapi({ description: "More events follow this page right now." }),
  })
  .openapi("EventsPage");
