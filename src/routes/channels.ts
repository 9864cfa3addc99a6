import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/channels";
import { answer, route } from "./shared";

const base = "/v1/workspaces/{ws}/channels";

export function channelRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.connectChannels, "post", `${base}/{kind}/batch`), (c) =>
    answer(c, ops.connectChannels, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.connectChannel, "post", `${base}/{kind}`), (c) =>
    answer(c, ops.connectChannel, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.disconnectChannel, "delete", `${base}/{kind}/{id}`), (c) =>
    answer(c, ops.disconnectChannel, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.channels, "get", `${base}/{kind}`), (c) =>
    answer(c, ops.channels, { params: c.req.valid("param"), query: c.req.valid("query") }),
  );
}
