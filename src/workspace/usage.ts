import { agentUsage } from "./agents";
import { channelUsage } from "./channels";
import type { WorkspaceContext } from "./context";
import { copilotQuestionsUsage, creditsUsage, receiptAt } from "./credits";
import { entityUsage } from "./entities";

/**
 * Every limit of the workspace with its use: `GET usage`
 * (docs/rules.md, "Answers, errors and callers").
 */
export function usageView(ctx: WorkspaceContext) {
  return {
    leads: entityUsage(ctx, "leads"),
    contactsAndCompanies: entityUsage(ctx, "contactsAndCompanies"),
    whatsapp: channelUsage(ctx, "whatsapp"),
    instagram: channelUsage(ctx, "instagram"),
    agents: agentUsage(ctx),
    credits: creditsUsage(ctx),
    copilotQuestions: copilotQuestionsUsage(ctx),
    receipt: receiptAt(ctx),
  };
}
export type UsageView = ReturnType<typeof usageView>;
