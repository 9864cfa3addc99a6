import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/workspace";
import { answer, route } from "./shared";

export function testClockRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.setTestClock, "put", "/v1/workspaces/{ws}/test-clock"), (c) =>
    answer(c, ops.setTestClock, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
}
