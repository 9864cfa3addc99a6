/**
 * Words for people. Feature and plan names come from the server's own modules (the same words
 * its messages use); role and limit words are the page's, keyed by the server's types so a new
 * role, plan or limit fails `npm run typecheck` until it has words here.
 */
import type { CAN, Claims } from "../../claims";
import { planName } from "../../policy/agents";
import type { AiFeature, Plan } from "../../policy/catalogue";
import { CATALOGUE, UPGRADE_ORDER } from "../../policy/catalogue";
import { FEATURE_LABEL } from "../../policy/credits";
import type { Agent, Usage } from "./api";

export type Role = Claims["role"];

export const featureName = (feature: AiFeature): string => FEATURE_LABEL[feature];
export { planName };

export const ROLE_LABEL: Record<Role, string> = {
  platform: "Platform",
  admin: "Admin",
  service: "Service · read only",
  viewer: "Viewer · read only",
};

/**
 * The roles that may change feature limits and agents: exactly CAN.administer (src/claims.ts),
 * checked by the compiler. The page offers the others no control that could only fail.
 */
export const EDITORS = ["platform", "admin"] as const satisfies typeof CAN.administer;
export const canEdit = (role: Role): boolean => (EDITORS as readonly Role[]).includes(role);

type EntityPool = keyof Pick<Usage, "leads" | "contactsAndCompanies">;
type ChannelKind = keyof Pick<Usage, "whatsapp" | "instagram">;

export const ENTITY_WORDS: Record<
  EntityPool,
  { title: string; one: string; many: string; free: string }
> = {
  leads: { title: "Leads", one: "lead", many: "leads", free: "leads are closed or deleted" },
  contactsAndCompanies: {
    title: "Contacts and companies",
    one: "contact or company",
    many: "contacts and companies",
    free: "some are deleted",
  },
};

export const CHANNEL_WORDS: Record<
  ChannelKind,
  { title: string; one: string; many: string; gone: string }
> = {
  whatsapp: {
    title: "WhatsApp numbers",
    one: "WhatsApp number",
    many: "WhatsApp numbers",
    gone: "numbers",
  },
  instagram: {
    title: "Instagram accounts",
    one: "Instagram account",
    many: "Instagram accounts",
    gone: "accounts",
  },
};

export const AGENT_NAME = { active: "Active AI agents" } as const;

export const AGENT_STATE_LABEL: Record<Agent["state"], string> = {
  draft: "Draft",
  active: "Active",
  offline: "Offline",
};

/**
 * "Advanced includes 3 active agents, Pro 50.": the next plans up the ladder that have AI agents,
 * with their default active limits (the catalogue's, src/policy/catalogue.ts).
 */
export function agentPlansAbove(plan: Plan): string {
  const from = UPGRADE_ORDER.indexOf(plan);
  const offers = UPGRADE_ORDER.slice(from + 1)
    .filter((p) => CATALOGUE[p].activeAgents !== 0)
    .slice(0, 2)
    .map((p) => {
      const n = CATALOGUE[p].activeAgents;
      return { plan: planName(p), figure: n === null ? "unlimited" : String(n) };
    });
  if (offers.length === 0) return "A bigger plan includes more.";
  const [first, ...rest] = offers;
  return `${first?.plan} includes ${first?.figure} active agents${rest
    .map((o) => `, ${o.plan} ${o.figure}`)
    .join("")}.`;
}
