import { z } from "@hono/zod-openapi";
import {
  LIVE_PUSH_INTERVAL_MS,
  LIVE_TICKET_PATTERN,
  LIVE_TICKET_TTL_SECONDS,
  MAX_LIVE_SOCKETS,
} from "../policy/live";
import { WorkspaceParams } from "./common";
import { CreditsOverview, Receipt } from "./credits";
import { Usage } from "./usage";

// The live balance (docs/credits.md#the-live-balance): a ticket, then a WebSocket of figures.

export const LiveTicket = z
  .object({
    ticket: z.string().describe("Lets one WebSocket into this workspace's live figures, once"),
    expiresAt: z.string().describe("UTC ISO-8601 instant; connect before it"),
    ttlSeconds: z.number().int().describe(`Always ${LIVE_TICKET_TTL_SECONDS}`),
    url: z
      .string()
      .describe("The path to open as a WebSocket (ws:// or wss:// on this host), ticket included"),
  })
  .openapi("LiveTicket", {
    description: `A one-time ticket for \`GET /v1/workspaces/{ws}/live\`: browsers cannot set an Authorization header on a WebSocket, and a bearer token in a URL ends up in logs. Valid ${LIVE_TICKET_TTL_SECONDS} seconds, for one connection, to this workspace only.`,
  });

export const LiveParams = WorkspaceParams;

export const LiveQuery = z.object({
  ticket: z
    .string()
    .optional()
    .openapi({
      param: { name: "ticket", in: "query" },
      description: "The ticket of `POST .../live/ticket`",
    }),
});

/** Every message the live socket sends: the workspace's figures as of one ledger position. */
export const LiveFigures = z
  .object({
    type: z.literal("figures"),
    receipt: Receipt.describe(
      "The ledger position the figures are as of: the last sequence written when they were read",
    ),
    usage: Usage,
    credits: CreditsOverview,
  })
  .openapi("LiveFigures", {
    description: `Sent once on connecting and after every change, coalesced: at most one message per ${LIVE_PUSH_INTERVAL_MS} ms (4 a second), each within ${LIVE_PUSH_INTERVAL_MS} ms of the change it shows (${2 * LIVE_PUSH_INTERVAL_MS} ms while the workspace has a backlog of calls). At most ${MAX_LIVE_SOCKETS} sockets per workspace.`,
  });

export { LIVE_TICKET_PATTERN };
