import { CAN } from "../claims";
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
import { operation } from "./operation";

const tags = ["Leads, contacts and companies"];

export const createEntity = operation({
  name: "createEntity",
  tags,
  summary: "Record a new lead, contact or company; answers its status (service)",
  description:
    "Never refused. Active and counted, or blocked (visible, not accessible, not counted) when its limit is enforced. The create that reaches the limit starts a 24-hour grace, unless the limit's last episode ended by closes or deletes less than 7 days ago: then it keeps that episode's grace end (no grace twice in a row), enforced at once if past. When the grace ends over the limit, the newest entities beyond it are blocked. A repeated id answers the entity as it is.",
  roles: CAN.serve,
  params: EntityKindParams,
  body: CreateEntityInput,
  response: EntityChange,
  answers: "The entity's status",
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.createEntity(params.kind, body.id, meta),
});

export const closeLead = operation({
  name: "closeLead",
  tags,
  summary: "Close a lead as won or lost: it stops counting (service)",
  description:
    "The freed slot goes at once to the oldest blocked lead, if any. A blocked lead cannot be closed (409 `entity_blocked`): its data is not accessible; it can be deleted.",
  roles: CAN.serve,
  params: LeadParams,
  body: CloseLeadInput,
  response: EntityChange,
  answers: "The closed lead",
  errors: ["entity_blocked"],
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.closeLead(params.id, body.outcome, meta),
});

export const reopenLead = operation({
  name: "reopenLead",
  tags,
  summary: "Reopen a closed lead: it counts again, decided like a create (service)",
  description:
    "Reopening an active lead changes nothing and answers its status. A blocked lead cannot be reopened (409 `entity_blocked`).",
  roles: CAN.serve,
  params: LeadParams,
  response: EntityChange,
  answers: "The lead's status",
  errors: ["entity_blocked"],
  idempotent: true,
  run: (stub, { params }, meta) => stub.reopenLead(params.id, meta),
});

export const deleteEntity = operation({
  name: "deleteEntity",
  tags,
  summary: "Delete a lead, contact or company, blocked ones included: it stops counting (service)",
  roles: CAN.serve,
  params: EntityParams,
  response: EntityDeletion,
  answers: "Deleted",
  idempotent: true,
  run: (stub, { params }, meta) => stub.deleteEntity(params.kind, params.id, meta),
});

export const entity = operation({
  name: "entity",
  tags,
  summary: "An entity's status and whether its data is accessible",
  roles: CAN.read,
  params: EntityParams,
  response: Entity,
  answers: "The entity",
  run: (stub, { params }) => stub.getEntity(params.kind, params.id),
});

export const createEntities = operation({
  name: "createEntities",
  tags,
  summary: "Record up to 1,000 leads, contacts or companies in one call (service)",
  description:
    "As if each id were created in order, one after the other, in one transaction: the same decisions as single creates (the id that reaches the limit starts the grace and is the one `limit.reached` names; ids after an enforcement are blocked). A repeated id, in the batch or already known, counts once. Answers one result per id, in order, and the limit after the batch. Retry a whole batch with the same Idempotency-Key: it is recorded once.",
  roles: CAN.serve,
  params: EntityKindParams,
  body: EntityBatchInput,
  response: EntityBatch,
  answers: "One answer per id, in order, and the limit after the batch",
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.createEntities(params.kind, body.ids, meta),
});

export const lookupEntities = operation({
  name: "lookupEntities",
  tags,
  summary: "The status of up to 1,000 entities at once (a read)",
  description:
    "Answers `{status, accessible}` per id, in order, as GET of each would; `unknown` for an id never reported. Changes nothing (a POST only to carry the ids).",
  roles: CAN.read,
  params: EntityKindParams,
  body: EntityLookupInput,
  response: EntityLookup,
  answers: "One answer per id, in order",
  run: (stub, { params, body }) => stub.lookupEntities(params.kind, body.ids),
});
