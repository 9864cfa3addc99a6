import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/workspace";
import { answer, route } from "./shared";

export function usageRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.usage, "get", "/v1/workspaces/{ws}/usage"), (c) =>
    answer(c, ops.usage, { params: c.req.valid("param") }),
  );
}
