import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/agents";
import { answer, route } from "./shared";

const base = "/v1/workspaces/{ws}/agents";

export function agentsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.createAgent, "post", base), (c) =>
    answer(c, ops.createAgent, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.activateAgent, "post", `${base}/{id}/activate`), (c) =>
    answer(c, ops.activateAgent, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.deactivateAgent, "post", `${base}/{id}/deactivate`), (c) =>
    answer(c, ops.deactivateAgent, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.deleteAgent, "delete", `${base}/{id}`), (c) =>
    answer(c, ops.deleteAgent, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.agents, "get", base), (c) =>
    answer(c, ops.agents, { params: c.req.valid("param") }),
  );
}
