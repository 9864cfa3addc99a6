import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import { MAX_PAGE } from "../schemas/common";
import { EventsPage, EventsQuery } from "../schemas/events";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const list = workspaceRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/events",
  tags: ["Events"],
  summary: "The workspace's events in order, after a cursor, with their webhook delivery state",
  description: `Pages of at most ${MAX_PAGE}, oldest first. Events are kept at least 90 days.`,
  roles: CAN.read,
  query: EventsQuery,
  response: [EventsPage, "Events after the cursor and the cursor of the next page"],
});

export function eventsRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, list, (c) => {
    const { after, limit } = c.req.valid("query");
    return workspaceOf(c).events(after, limit);
  });
}
