import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import { errorResponses } from "../errors";
import type { AppEnv } from "../hono";
import { IdempotencyHeader } from "../schemas/common";
import {
  CloseLeadInput,
  CreateEntityInput,
  Entity,
  EntityChange,
  EntityDeletion,
  EntityKindParams,
  EntityParams,
  LeadParams,
} from "../schemas/entities";
import { allow, bearer, jsonBody, jsonResponse, serve, workspaceOf } from "./shared";

const tags = ["Leads, contacts and companies"];
const mutationErrors = errorResponses(
  "invalid_request",
  "forbidden",
  "not_found",
  "idempotency_conflict",
);

const create = createRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/{kind}",
  tags,
  summary: "Record a new lead, contact or company; answers its status (service)",
  description:
    "Never refused. Active and counted, or blocked (visible, not accessible, not counted) when its limit is enforced. The create that reaches the limit starts a 24-hour grace. A repeated id answers the entity as it is.",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: {
    params: EntityKindParams,
    headers: IdempotencyHeader,
    body: jsonBody(CreateEntityInput),
  },
  responses: { 200: jsonResponse(EntityChange, "The entity's status"), ...mutationErrors },
});

const close = createRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/leads/{id}/close",
  tags,
  summary: "Close a lead as won or lost: it stops counting (service)",
  description: "The freed slot goes at once to the oldest blocked lead, if any.",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: LeadParams, headers: IdempotencyHeader, body: jsonBody(CloseLeadInput) },
  responses: { 200: jsonResponse(EntityChange, "The closed lead"), ...mutationErrors },
});

const reopen = createRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/leads/{id}/reopen",
  tags,
  summary: "Reopen a closed lead: it counts again, decided like a create (service)",
  description: "Reopening an open lead changes nothing and answers its status.",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: LeadParams, headers: IdempotencyHeader },
  responses: { 200: jsonResponse(EntityChange, "The lead's status"), ...mutationErrors },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/entities/{kind}/{id}",
  tags,
  summary: "Delete a lead, contact or company: it stops counting (service)",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: EntityParams, headers: IdempotencyHeader },
  responses: { 200: jsonResponse(EntityDeletion, "Deleted"), ...mutationErrors },
});

const get = createRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/entities/{kind}/{id}",
  tags,
  summary: "An entity's status and whether its data is accessible",
  security: bearer,
  middleware: [allow(CAN.read)] as const,
  request: { params: EntityParams },
  responses: {
    200: jsonResponse(Entity, "The entity"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function entitiesRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, create, (c) => {
    const { kind } = c.req.valid("param");
    return workspaceOf(c).createEntity(kind, c.req.valid("json").id, c.get("call"));
  });
  serve(app, close, (c) => {
    const { id } = c.req.valid("param");
    return workspaceOf(c).closeLead(id, c.req.valid("json").outcome, c.get("call"));
  });
  serve(app, reopen, (c) => workspaceOf(c).reopenLead(c.req.valid("param").id, c.get("call")));
  serve(app, remove, (c) => {
    const { kind, id } = c.req.valid("param");
    return workspaceOf(c).deleteEntity(kind, id, c.get("call"));
  });
  serve(app, get, (c) => {
    const { kind, id } = c.req.valid("param");
    return workspaceOf(c).getEntity(kind, id);
  });
}
