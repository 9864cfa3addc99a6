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
    whatsapp: { used: 0, limit: l.whatsapp, state: "ok" as const, graceEndsAt: null },
    instagram: { used: 0, limit: l.instagram, state: "ok" as const, graceEndsAt: null },
    agents: { used: 0, limit: l.activeAgents, total: 0, totalLimit: l.totalAgents },
    credits: creditsUsage(ctx),
    copilotQuestions: copilotQuestionsUsage(ctx),
  };
}
export type UsageView = ReturnType<typeof usageView>;
