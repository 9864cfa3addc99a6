import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/workspace";
import { answer, route } from "./shared";

const path = "/v1/workspaces/{ws}/subscription";

export function subscriptionRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.putSubscription, "put", path), (c) =>
    answer(c, ops.putSubscription, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.subscription, "get", path), (c) =>
    answer(c, ops.subscription, { params: c.req.valid("param") }),
  );
}
