import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/credits";
import { answer, route } from "./shared";

export function creditsDailyRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.creditsDaily, "get", "/v1/workspaces/{ws}/credits/daily"), (c) =>
    answer(c, ops.creditsDaily, { params: c.req.valid("param") }),
  );
}
