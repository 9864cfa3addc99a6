import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import {
  AgentDecision,
  AgentDeletion,
  AgentInput,
  AgentList,
  AgentParams,
} from "../schemas/agents";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const tags = ["AI agents"];

const create = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/agents",
  tags,
  summary: "Create an AI agent as a draft (admin)",
  description:
    "A decision: refused with `workspace_agent_limit` when the workspace already holds 500 agents. The same id with the same name answers the existing agent (`changed: false`); with another name it is a 409 `already_exists`.",
  roles: CAN.administer,
  body: AgentInput,
  response: [AgentDecision, "Created, already there, or refused"],
  errors: ["already_exists"],
});

const transition = (action: "activate" | "deactivate", summary: string, description: string) =>
  workspaceRoute({
    method: "post",
    path: `/v1/workspaces/{ws}/agents/{id}/${action}`,
    tags,
    summary,
    description,
    roles: CAN.administer,
    params: AgentParams,
    response: [AgentDecision, "The decision"],
  });

const activate = transition(
  "activate",
  "Activate an AI agent (admin)",
  "A decision: refused with `active_agent_limit` when the plan's active limit is reached, or `feature_not_in_plan` when the plan has no AI agent, with a message, the figures and `upgradeTo`; a refusal records `agent.activation_refused`. Activating an active agent changes nothing and is allowed.",
);

const deactivate = transition(
  "deactivate",
  "Deactivate an AI agent (admin)",
  "Sets an active agent `offline` and frees its slot at once. A draft or offline agent is left as it is (allowed, `changed: false`).",
);

const remove = workspaceRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/agents/{id}",
  tags,
  summary: "Delete an AI agent (admin)",
  description: "Frees its place among the 500, and its active slot if it was active.",
  roles: CAN.administer,
  params: AgentParams,
  response: [AgentDeletion, "Deleted"],
});

const list = workspaceRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/agents",
  tags,
  summary: "List the workspace's AI agents with the active and total figures",
  roles: CAN.read,
  response: [AgentList, "Every agent, in creation order"],
});

export function agentsRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, create, (c) => workspaceOf(c).createAgent(c.req.valid("json"), c.get("call")));
  serve(app, activate, (c) => workspaceOf(c).activateAgent(c.req.valid("param").id, c.get("call")));
  serve(app, deactivate, (c) =>
    workspaceOf(c).deactivateAgent(c.req.valid("param").id, c.get("call")),
  );
  serve(app, remove, (c) => workspaceOf(c).deleteAgent(c.req.valid("param").id, c.get("call")));
  serve(app, list, (c) => workspaceOf(c).listAgents());
}
