import { z } from "@hono/zod-openapi";
import { CHANNEL_KINDS } from "../policy/channels";
import {
  ClientId,
  CreatedId,
  CursorParam,
  Instant,
  OPAQUE_CURSOR,
  WorkspaceParams,
} from "./common";

/** The most channels one list page shows. */
export const MAX_PAGE_SIZE = 500;
/** The most channels one batch call takes: one bounded transaction per call. */
export const MAX_BATCH_CHANNELS = 1_000;

const Kind = z.enum(CHANNEL_KINDS).openapi({
  param: { name: "kind", in: "path" },
  description: "`whatsapp` (numbers) or `instagram` (accounts): two independent limits.",
});

export const KindParams = WorkspaceParams.extend({ kind: Kind });

export const ChannelParams = KindParams.extend({
  id: ClientId.openapi({ param: { name: "id", in: "path" }, example: "+5511999990001" }),
});

export const ConnectInput = z
  .strictObject({
    id: CreatedId.openapi({ example: "+5511999990001" }).describe(
      "The channel's id in the CRM (a phone number, an account id); not `.` or `..`.",
    ),
    connectedAt: Instant.optional().describe(
      "Platform only (a service sending it gets 403): when the channel was connected, to import existing ones; before 2026-06-01 it is grandfathered. Not after now. Defaults to now.",
    ),
  })
  .openapi("ConnectChannelInput");

export const ListQuery = z.object({
  after: CursorParam("channels", "optional"),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .optional()
    .openapi({
      param: { name: "pageSize", in: "query" },
      description: `Channels per page, 1-${MAX_PAGE_SIZE}; default 100.`,
    }),
});

const limit = z.number().int().nullable().describe("null = unlimited");
const state = z.enum(["ok", "grace", "enforced"]);
const status = z.enum(["active", "disabled"]);

export const ChannelUsage = z
  .object({
    used: z.number().int().describe("connected, enabled channels, grandfathered included"),
    limit,
    state: state.describe(
      "`grace`: a non-grandfathered channel does not fit and will be disabled at graceEndsAt unless the limit rises or channels disconnect. `enforced`: the excess was disabled and the kind is still at (or, with grandfathered channels, over) its limit; a connection that does not fit within 7 days of the enforcement gets no new grace (the earliest connected is disabled at once), a later one a new 24-hour grace.",
    ),
    graceEndsAt: z
      .string()
      .nullable()
      .describe("In `grace`, when it ends; in `enforced`, when the grace ended."),
    grandfathered: z.number().int().describe("active channels connected before 2026-06-01"),
    disabled: z.number().int().describe("channels disabled by the limit and not reconnected"),
    overLimit: z.boolean().describe("used > limit"),
    toDisable: z.number().int().describe("channels the running grace disables at its end"),
  })
  .openapi("ChannelUsage");

const Channel = z.object({
  id: z.string(),
  status,
  connectedAt: z.string(),
  grandfathered: z.boolean(),
  disabledAt: z.string().nullable(),
});

export const ConnectAnswer = z
  .object({
    kind: z.enum(CHANNEL_KINDS),
    ...Channel.shape,
    alreadyConnected: z
      .boolean()
      .describe("The channel was already active: nothing changed, its state is answered."),
    overLimit: z.boolean().describe("This kind's count now exceeds its limit."),
    used: z.number().int(),
    limit,
    grace: z
      .object({ endsAt: z.string() })
      .optional()
      .describe(
        "Present while this kind's grace runs: at its end the excess non-grandfathered channels are disabled, earliest connected first.",
      ),
  })
  .openapi("ConnectChannelAnswer");

export const DisconnectAnswer = z
  .object({
    kind: z.enum(CHANNEL_KINDS),
    id: z.string(),
    disconnected: z.literal(true),
    previousStatus: status,
    used: z.number().int(),
    limit,
    state,
    graceEndsAt: z.string().nullable(),
  })
  .openapi("DisconnectChannelAnswer");

export const ChannelList = z
  .object({
    kind: z.enum(CHANNEL_KINDS),
    ...ChannelUsage.shape,
    channels: z.array(Channel).describe("earliest connected first"),
    nextCursor: z.string().nullable().describe(`${OPAQUE_CURSOR} Null at the end.`),
  })
  .openapi("ChannelList");

export const ChannelBatchInput = z
  .strictObject({
    channels: z
      .array(ConnectInput)
      .min(1)
      .max(MAX_BATCH_CHANNELS)
      .describe(
        `1-${MAX_BATCH_CHANNELS.toLocaleString("en")} channels, connected in this order. connectedAt is for the platform only (a service sending it gets 403 and nothing is connected).`,
      ),
  })
  .openapi("ChannelBatchInput");

export const ChannelBatch = z
  .object({
    kind: z.enum(CHANNEL_KINDS),
    channels: z
      .array(ConnectAnswer)
      .describe(
        "one answer per channel, in the order sent: what single connects would have answered",
      ),
    usage: ChannelUsage.describe("the kind's usage after the whole batch"),
  })
  .openapi("ChannelBatch");
