import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/entities";
import { answer, route } from "./shared";

const base = "/v1/workspaces/{ws}/entities";

export function entitiesRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.createEntities, "post", `${base}/{kind}/batch`), (c) =>
    answer(c, ops.createEntities, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.lookupEntities, "post", `${base}/{kind}/lookup`), (c) =>
    answer(c, ops.lookupEntities, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.createEntity, "post", `${base}/{kind}`), (c) =>
    answer(c, ops.createEntity, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.closeLead, "post", `${base}/leads/{id}/close`), (c) =>
    answer(c, ops.closeLead, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.reopenLead, "post", `${base}/leads/{id}/reopen`), (c) =>
    answer(c, ops.reopenLead, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.deleteEntity, "delete", `${base}/{kind}/{id}`), (c) =>
    answer(c, ops.deleteEntity, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.entity, "get", `${base}/{kind}/{id}`), (c) =>
    answer(c, ops.entity, { params: c.req.valid("param") }),
  );
}
