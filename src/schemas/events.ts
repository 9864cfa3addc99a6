import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../policy/events";
import { OPAQUE_CURSOR, pageQuery } from "./common";

export const EventsQuery = pageQuery("events");

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
      description: `${OPAQUE_CURSOR} With no new events it is the cursor you sent, so a poller can always reuse it.`,
    }),
    hasMore: z.boolean().openapi({ description: "More events follow this page right now." }),
  })
  .openapi("EventsPage");
