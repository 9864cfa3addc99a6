import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError, type ApiErrorBody, errorResponses, invalid } from "../errors";
import type { AppEnv } from "../hono";
import { fieldIssues } from "../operations/validate";
import { LIVE_TICKET_PATTERN, LIVE_TICKET_TTL_SECONDS, MAX_LIVE_SOCKETS } from "../policy/live";
import { WorkspaceParams } from "../schemas/common";
import { LiveFigures, LiveQuery } from "../schemas/live";

/**
 * `GET /v1/workspaces/{ws}/live`: the live balance's WebSocket (docs/credits.md#the-live-balance).
 * Not an operation: it has no bearer token (a browser cannot send one with a WebSocket), only
 * the one-time ticket of `POST .../live/ticket`, which the workspace's object spends, and its
 * answer is a socket, not JSON. Registered before the bearer check; the ticket's checks and
 * the socket are the object's (src/workspace/live.ts).
 */
export const LIVE_PATH = "/v1/workspaces/{ws}/live";

export function liveRoutes(app: OpenAPIHono<AppEnv>): void {
  app.get("/v1/workspaces/:ws/live", async (c) => {
    const params = WorkspaceParams.safeParse({ ws: c.req.param("ws") });
    if (!params.success) throw invalid(fieldIssues(params.error));
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw invalid([
        { path: "Upgrade", message: "must be websocket: this path opens a WebSocket" },
      ]);
    }
    const ticket = c.req.query("ticket");
    if (ticket === undefined || !LIVE_TICKET_PATTERN.test(ticket)) {
      const reason = ticket === undefined || ticket === "" ? "ticket_missing" : "ticket_malformed";
      throw new ApiError(
        "unauthenticated",
        "Open the live socket with ?ticket= from POST .../live/ticket (a bearer token is not accepted here).",
        { reason },
      );
    }
    const answer = await c.env.WORKSPACE.getByName(params.data.ws).fetch(c.req.raw);
    if (answer.status !== 101) {
      const error = (await answer.json()) as ApiErrorBody;
      throw new ApiError(error.code, error.message, error.details);
    }
    // The object's response has immutable headers; the request id is added to a new one.
    return new Response(null, { status: 101, webSocket: answer.webSocket });
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "ticket", {
    type: "apiKey",
    in: "query",
    name: "ticket",
    description: `A one-time ticket of \`POST /v1/workspaces/{ws}/live/ticket\`: ${LIVE_TICKET_TTL_SECONDS} seconds, one connection, this workspace only.`,
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: LIVE_PATH,
    tags: ["Live balance"],
    summary: "The workspace's credit and usage figures as they change, over a WebSocket",
    description: `Send \`Upgrade: websocket\` with \`?ticket=\` (no bearer token). Each message is a \`LiveFigures\` object: one on connecting, then after every change, coalesced to at most 4 a second and each within a quarter second of the change (half a second while the workspace has a backlog of calls). Send \`refresh\` for the figures again, \`ping\` for \`pong\`. At most ${MAX_LIVE_SOCKETS} sockets per workspace: the next is accepted and closed at once with code 1013 and the reason. A foreign, expired, used, missing or malformed ticket: 401 with \`details.reason\`.`,
    security: [{ ticket: [] }],
    "x-websocket": true,
    request: { params: WorkspaceParams, query: LiveQuery },
    responses: {
      101: {
        description: "Switching to a WebSocket; every message is LiveFigures (JSON text)",
        content: { "application/json": { schema: LiveFigures } },
      },
      ...errorResponses("invalid_request"),
    },
  });
}
