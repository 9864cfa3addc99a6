import { agentUsage } from "./agents";
import { channelUsage } from "./channels";
import type { WorkspaceContext } from "./context";
import { copilotQuestionsUsage, creditsUsage } from "./credits";

/** Every limit of the workspace with its use (PRODUCT.md §9 `GET usage`). */
export function usageView(ctx: WorkspaceContext) {
  const l = ctx.limits;
  return {
    leads: { used: 0, limit: l.leads, blocked: 0, state: "ok" as const, graceEndsAt: null },
    contactsAndCompanies: {
      used: 0,
      limit: l.contactsAndCompanies,
      blocked: 0,
      state: "ok" as const,
      graceEndsAt: null,
    },
    whatsapp: channelUsage(ctx, "whatsapp"),
    instagram: channelUsage(ctx, "instagram"),
    agents: agentUsage(ctx),
    credits: creditsUsage(ctx),
    copilotQuestions: copilotQuestionsUsage(ctx),
  };
}
export type UsageView = ReturnType<typeof usageView>;
