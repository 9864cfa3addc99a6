import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import { errorResponses } from "../errors";
import type { AppEnv } from "../hono";
import { WorkspaceParams } from "../schemas/common";
import { EventsPage, EventsQuery, MAX_EVENTS_PAGE } from "../schemas/events";
import { allow, bearer, jsonResponse, serve, workspaceOf } from "./shared";

const list = createRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/events",
  tags: ["Events"],
  summary: "The workspace's events in order, after a cursor, with their webhook delivery state",
  description: `Pages of at most ${MAX_EVENTS_PAGE}, oldest first. Events are kept at least 90 days.`,
  security: bearer,
  middleware: [allow(CAN.read)] as const,
  request: { params: WorkspaceParams, query: EventsQuery },
  responses: {
    200: jsonResponse(EventsPage, "Events after the cursor and the cursor of the next page"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function eventsRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, list, (c) => {
    const { after, limit } = c.req.valid("query");
    return workspaceOf(c).events(Number(after ?? "0"), limit ?? MAX_EVENTS_PAGE);
  });
}
