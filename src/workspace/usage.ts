import type { WorkspaceContext } from "./context";
import { entityUsage } from "./entities";

/** Every limit of the workspace with its use (PRODUCT.md §9 `GET usage`). */
export function usageView(ctx: WorkspaceContext) {
  const l = ctx.limits;
  return {
    leads: entityUsage(ctx, "leads"),
    contactsAndCompanies: entityUsage(ctx, "contactsAndCompanies"),
    whatsapp: { used: 0, limit: l.whatsapp, state: "ok" as const, graceEndsAt: null },
    instagram: { used: 0, limit: l.instagram, state: "ok" as const, graceEndsAt: null },
    agents: { used: 0, limit: l.activeAgents, total: 0, totalLimit: l.totalAgents },
    credits: { used: 0, limit: l.includedCredits },
    copilotQuestions: { used: 0, limit: l.copilotQuestions },
  };
}
export type UsageView = ReturnType<typeof usageView>;
