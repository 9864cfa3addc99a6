import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import {
  CloseLeadInput,
  CreateEntityInput,
  Entity,
  EntityBatch,
  EntityBatchInput,
  EntityChange,
  EntityDeletion,
  EntityKindParams,
  EntityLookup,
  EntityLookupInput,
  EntityParams,
  LeadParams,
} from "../schemas/entities";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const tags = ["Leads, contacts and companies"];

const create = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/{kind}",
  tags,
  summary: "Record a new lead, contact or company; answers its status (service)",
  description:
    "Never refused. Active and counted, or blocked (visible, not accessible, not counted) when its limit is enforced. The create that reaches the limit starts a 24-hour grace, unless the limit's last episode ended by closes or deletes less than 7 days ago: then it keeps that episode's grace end (no grace twice in a row), enforced at once if past. When the grace ends over the limit, the newest entities beyond it are blocked. A repeated id answers the entity as it is.",
  roles: CAN.serve,
  params: EntityKindParams,
  body: CreateEntityInput,
  response: [EntityChange, "The entity's status"],
});

const close = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/leads/{id}/close",
  tags,
  summary: "Close a lead as won or lost: it stops counting (service)",
  description:
    "The freed slot goes at once to the oldest blocked lead, if any. A blocked lead cannot be closed (409 `entity_blocked`): its data is not accessible; it can be deleted.",
  roles: CAN.serve,
  params: LeadParams,
  body: CloseLeadInput,
  errors: ["entity_blocked"],
  response: [EntityChange, "The closed lead"],
});

const reopen = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/leads/{id}/reopen",
  tags,
  summary: "Reopen a closed lead: it counts again, decided like a create (service)",
  description:
    "Reopening an active lead changes nothing and answers its status. A blocked lead cannot be reopened (409 `entity_blocked`).",
  roles: CAN.serve,
  params: LeadParams,
  errors: ["entity_blocked"],
  response: [EntityChange, "The lead's status"],
});

const remove = workspaceRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/entities/{kind}/{id}",
  tags,
  summary: "Delete a lead, contact or company, blocked ones included: it stops counting (service)",
  roles: CAN.serve,
  params: EntityParams,
  response: [EntityDeletion, "Deleted"],
});

const get = workspaceRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/entities/{kind}/{id}",
  tags,
  summary: "An entity's status and whether its data is accessible",
  roles: CAN.read,
  params: EntityParams,
  response: [Entity, "The entity"],
});

const batch = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/{kind}/batch",
  tags,
  summary: "Record up to 1,000 leads, contacts or companies in one call (service)",
  description:
    "As if each id were created in order, one after the other, in one transaction: the same decisions as single creates (the id that reaches the limit starts the grace and is the one `limit.reached` names; ids after an enforcement are blocked). A repeated id, in the batch or already known, counts once. Answers one result per id, in order, and the limit after the batch. Retry a whole batch with the same Idempotency-Key: it is recorded once.",
  roles: CAN.serve,
  params: EntityKindParams,
  body: EntityBatchInput,
  response: [EntityBatch, "One answer per id, in order, and the limit after the batch"],
});

const lookup = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/entities/{kind}/lookup",
  tags,
  summary: "The status of up to 1,000 entities at once (a read)",
  description:
    "Answers `{status, accessible}` per id, in order, as GET of each would; `unknown` for an id never reported. Changes nothing (a POST only to carry the ids).",
  roles: CAN.read,
  params: EntityKindParams,
  body: EntityLookupInput,
  response: [EntityLookup, "One answer per id, in order"],
  idempotent: false,
});

export function entitiesRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, batch, (c) => {
    const { kind } = c.req.valid("param");
    return workspaceOf(c).createEntities(kind, c.req.valid("json").ids, c.get("call"));
  });
  serve(app, lookup, (c) =>
    workspaceOf(c).lookupEntities(c.req.valid("param").kind, c.req.valid("json").ids),
  );
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
