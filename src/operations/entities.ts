import { CAN } from "../auth";
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
import { operation } from "./operation";

const tags = ["Leads, contacts and companies"];

export const createEntity = operation({
  name: "createEntity",
  tags,
  summary: "Record a new lead, contact or company; answers its status (service)",
  description:
    "Never refused. Active and counted, or blocked (visible, not accessible, not counted) when its limit is enforced. The create that reaches the limit starts a 24-hour grace. A repeated id answers the entity as it is.",
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
  description: "The freed slot goes at once to the oldest blocked lead, if any.",
  roles: CAN.serve,
  params: LeadParams,
  body: CloseLeadInput,
  response: EntityChange,
  answers: "The closed lead",
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.closeLead(params.id, body.outcome, meta),
});

export const reopenLead = operation({
  name: "reopenLead",
  tags,
  summary: "Reopen a closed lead: it counts again, decided like a create (service)",
  description: "Reopening an open lead changes nothing and answers its status.",
  roles: CAN.serve,
  params: LeadParams,
  response: EntityChange,
  answers: "The lead's status",
  idempotent: true,
  run: (stub, { params }, meta) => stub.reopenLead(params.id, meta),
});

export const deleteEntity = operation({
  name: "deleteEntity",
  tags,
  summary: "Delete a lead, contact or company: it stops counting (service)",
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
