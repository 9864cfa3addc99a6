import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/workspace";
import { answer, route } from "./shared";

export function eventsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.events, "get", "/v1/workspaces/{ws}/events"), (c) =>
    answer(c, ops.events, { params: c.req.valid("param"), query: c.req.valid("query") }),
  );
}
