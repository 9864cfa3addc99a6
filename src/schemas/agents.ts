import { z } from "@hono/zod-openapi";
import { AGENT_NAME_MAX_CHARS, AGENT_STATES } from "../policy/agents";
import { PLANS } from "../policy/catalogue";
import { ClientId, CreatedId, WorkspaceParams } from "./common";

export const AgentId = ClientId.openapi({ example: "holiday-campaign" });

export const AgentParams = WorkspaceParams.extend({
  id: AgentId.openapi({
    param: { name: "id", in: "path" },
    description: "The agent's id, URL-encoded",
  }),
});

export const AgentInput = z
  .strictObject({
    id: CreatedId.openapi({ example: "holiday-campaign" }).describe(
      "Chosen by the client; 1-128 printable ASCII characters, no spaces, not `.` or `..`.",
    ),
    name: z
      .string()
      .min(1)
      .max(AGENT_NAME_MAX_CHARS)
      .regex(/\S/, "must not be blank")
      .openapi({ example: "Holiday campaign" }),
  })
  .openapi("AgentInput");

export const Agent = z
  .object({
    id: z.string(),
    name: z.string(),
    state: z.enum(AGENT_STATES),
    createdAt: z.string(),
    updatedAt: z.string(),
    activatedAt: z.string().nullable().describe("When it was last activated, while it is active"),
    offlineReason: z
      .enum(["deactivated", "limit_lowered"])
      .nullable()
      .describe("Why an offline agent is offline: an admin, or a lowered active limit"),
  })
  .openapi("Agent");

const figures = {
  active: z.number().int().describe("Active agents after this call"),
  limit: z.number().int().nullable().describe("The active agent limit; null = unlimited"),
  total: z.number().int().describe("Agents in all states"),
  totalLimit: z.number().int().describe("The most agents a workspace may hold in all states"),
};

export const AgentDecision = z
  .object({
    allowed: z.boolean(),
    reason: z
      .enum(["active_agent_limit", "feature_not_in_plan", "workspace_agent_limit"])
      .optional(),
    message: z.string().describe("A sentence a person can read, with the figures"),
    changed: z.boolean().describe("Whether this call changed anything"),
    // A union, not Agent.nullable(): that would make the registered Agent component nullable
    // everywhere (an agent list or a deletion would document null agents).
    agent: z
      .union([Agent, z.null()])
      .describe("The agent after the call; null when a create is refused"),
    ...figures,
    upgradeTo: z
      .enum(PLANS)
      .nullable()
      .optional()
      .describe("On a refused activation: the cheapest plan that would allow it, if any"),
  })
  .openapi("AgentDecision");

export const AgentDeletion = z
  .object({ deleted: z.literal(true), agent: Agent.describe("The agent as it was"), ...figures })
  .openapi("AgentDeletion");

export const AgentList = z
  .object({ agents: z.array(Agent).describe("In creation order; at most 500"), ...figures })
  .openapi("AgentList");
