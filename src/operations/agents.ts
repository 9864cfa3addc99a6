import { CAN } from "../claims";
import {
  AgentDecision,
  AgentDeletion,
  AgentInput,
  AgentList,
  AgentParams,
} from "../schemas/agents";
import { operation } from "./operation";

const tags = ["AI agents"];

export const createAgent = operation({
  name: "createAgent",
  tags,
  summary: "Create an AI agent as a draft (admin)",
  description:
    "A decision: refused with `workspace_agent_limit` when the workspace already holds 500 agents. The same id with the same name answers the existing agent (`changed: false`); with another name it is a 409 `already_exists`.",
  roles: CAN.administer,
  body: AgentInput,
  response: AgentDecision,
  answers: "Created, already there, or refused",
  errors: ["already_exists"],
  idempotent: true,
  run: (stub, { body }, meta) => stub.createAgent(body, meta),
});

export const activateAgent = operation({
  name: "activateAgent",
  tags,
  summary: "Activate an AI agent (admin)",
  description:
    "A decision: refused with `active_agent_limit` when the plan's active limit is reached, or `feature_not_in_plan` when the plan has no AI agent, with a message, the figures and `upgradeTo`; a refusal records `agent.activation_refused`. Activating an active agent changes nothing and is allowed.",
  roles: CAN.administer,
  params: AgentParams,
  response: AgentDecision,
  answers: "The decision",
  idempotent: true,
  run: (stub, { params }, meta) => stub.activateAgent(params.id, meta),
});

export const deactivateAgent = operation({
  name: "deactivateAgent",
  tags,
  summary: "Deactivate an AI agent (admin)",
  description:
    "Sets an active agent `offline` and frees its slot at once. A draft or offline agent is left as it is (allowed, `changed: false`).",
  roles: CAN.administer,
  params: AgentParams,
  response: AgentDecision,
  answers: "The decision",
  idempotent: true,
  run: (stub, { params }, meta) => stub.deactivateAgent(params.id, meta),
});

export const deleteAgent = operation({
  name: "deleteAgent",
  tags,
  summary: "Delete an AI agent (admin)",
  description: "Frees its place among the 500, and its active slot if it was active.",
  roles: CAN.administer,
  params: AgentParams,
  response: AgentDeletion,
  answers: "Deleted",
  idempotent: true,
  run: (stub, { params }, meta) => stub.deleteAgent(params.id, meta),
});

export const agents = operation({
  name: "agents",
  tags,
  summary: "List the workspace's AI agents with the active and total figures",
  roles: CAN.read,
  response: AgentList,
  answers: "Every agent, in creation order",
  run: (stub) => stub.listAgents(),
});
