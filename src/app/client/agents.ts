/** The AI agents tab: create by name, activate and deactivate, and what a refusal means. */
import { AGENT_NAME_MAX_CHARS } from "../../policy/agents";
import {
  type Agent,
  type AgentDecision,
  type AgentList,
  type Credits,
  Problem,
  type Subscription,
} from "./api";
import { agentCreditsCard, setBudgetHost } from "./budgets";
import { type Card, renderCards } from "./cards";
import { type Child, h } from "./dom";
import { day, num } from "./format";
import { consequence, detail, mayEdit, notice, state } from "./view";
import { AGENT_STATE_LABEL, agentPlansAbove, planName } from "./words";

export interface AgentsData {
  agents: AgentList;
  subscription: Subscription;
  /** Each agent's credits this period and its cap (docs/budgets.md). */
  credits: Credits;
}

export interface AgentsHost {
  refresh(): Promise<void>;
  showProblem(p: Problem): void;
}

/** An id from the name: readable, and unique enough that two "Support" agents don't clash. */
function slug(name: string): string {
  const base = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) =>
    b.toString(36).padStart(2, "0"),
  )
    .join("")
    .slice(0, 6);
  return `${base || "agent"}-${random}`;
}

/**
 * A refused activation or create, said once: what was refused and the ways out (free a slot,
 * or the plan to upgrade to), from the decision's reason and figures, not its message.
 */
export function refusal(decision: AgentDecision, plan: Subscription["plan"]): Child[] {
  const upgrade = decision.upgradeTo
    ? [
        h(
          "strong",
          { "data-upgrade": decision.upgradeTo },
          `Upgrade to ${planName(decision.upgradeTo)}`,
        ),
        decision.reason === "feature_not_in_plan"
          ? " to use AI agents"
          : " for more active agents at once",
        ": ask whoever manages your subscription.",
      ]
    : [];
  switch (decision.reason) {
    case "active_agent_limit":
      return [
        h("strong", null, "Not activated. "),
        `Active agents are at the ${planName(plan)} plan's limit (${num(decision.active)} of ${
          decision.limit === null ? "unlimited" : num(decision.limit)
        }): deactivate one to free a slot. `,
        ...upgrade,
      ];
    case "feature_not_in_plan":
      return [
        h("strong", null, "Not activated. "),
        `AI agents are not included in the ${planName(plan)} plan. `,
        ...upgrade,
      ];
    case "workspace_agent_limit":
      return [
        h("strong", null, "Not created. "),
        `This workspace already holds ${num(decision.totalLimit)} agents, the most it may.`,
      ];
    default:
      return [h("strong", null, "Not done. "), decision.message];
  }
}

let host: AgentsHost | null = null;
let current: AgentsData | null = null;

async function switchAgent(agent: Agent, action: "activate" | "deactivate"): Promise<void> {
  if (!state.api || !host || !current) return;
  let decision: AgentDecision;
  try {
    decision = await state.api[action](agent.id);
  } catch (p) {
    if (p instanceof Problem) return host.showProblem(p);
    throw p;
  }
  state.focusAfter = `[data-agent="${CSS.escape(agent.id)}"] .act`;
  if (decision.allowed) {
    notice(
      action === "activate"
        ? `${agent.name} is active.`
        : `${agent.name} is offline; its slot is free.`,
    );
  } else {
    notice(refusal(decision, current.subscription.plan), "bad");
  }
  await host.refresh();
}

async function createAgent(input: HTMLInputElement, error: HTMLElement): Promise<void> {
  const name = input.value.trim();
  if (!name) {
    error.textContent = "Give the agent a name.";
    input.focus();
    return;
  }
  if (!state.api || !host || !current) return;
  let decision: AgentDecision;
  try {
    decision = await state.api.createAgent(slug(name), name);
  } catch (p) {
    if (p instanceof Problem && (p.code === "invalid_request" || p.code === "already_exists")) {
      error.textContent =
        p.code === "already_exists"
          ? "An agent with this id exists already: try again."
          : p.fieldMessages.join(" ") || "Check the name and try again.";
      return;
    }
    if (p instanceof Problem) return host.showProblem(p);
    throw p;
  }
  if (decision.allowed) {
    notice(`Created ${name} as a draft: activate it when it's ready.`);
    state.focusAfter = "#agent-name";
  } else {
    notice(refusal(decision, current.subscription.plan), "bad");
  }
  await host.refresh();
}

const agentItem = (a: Agent): HTMLElement => {
  const why =
    a.state === "offline" && a.offlineReason === "limit_lowered"
      ? "Turned off when the plan's limit went down"
      : null;
  const action = a.state === "active" ? "deactivate" : "activate";
  return h(
    "li",
    { "data-agent": a.id },
    h("span", { class: "name" }, a.name, h("small", null, why ?? `Created ${day(a.createdAt)}`)),
    h("span", { class: `pill ${a.state}`, "data-state": a.state }, AGENT_STATE_LABEL[a.state]),
    mayEdit()
      ? h(
          "button",
          {
            type: "button",
            class: action === "deactivate" ? "ghost act" : "act",
            "data-action": action,
            "aria-label": `${action === "activate" ? "Activate" : "Deactivate"} ${a.name}`,
            on: { click: () => void switchAgent(a, action) },
          },
          action === "activate" ? "Activate" : "Deactivate",
        )
      : null,
  );
};

const agentsCard: Card<AgentsData> = ({ agents: list, subscription }) => {
  const notInPlan = list.limit === 0;
  const error = h("p", { class: "error", role: "alert", id: "agent-error" });
  const input = h("input", {
    id: "agent-name",
    name: "name",
    maxlength: AGENT_NAME_MAX_CHARS,
    autocomplete: "off",
    required: true,
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "agents-title" },
    h("h2", { id: "agents-title" }, "AI agents"),
    h(
      "p",
      { id: "agents-count" },
      list.limit === null
        ? `${num(list.active)} active (no limit)`
        : notInPlan
          ? "Not in your plan"
          : `${num(list.active)} of ${num(list.limit)} active`,
      h("span", { class: "muted" }, ` · ${num(list.total)} of ${num(list.totalLimit)} created`),
    ),
    notInPlan
      ? consequence(
          false,
          `AI agents are not included in the ${planName(subscription.plan)} plan: agents can be created as drafts but not activated. ${agentPlansAbove(subscription.plan)}`,
        )
      : null,
    mayEdit()
      ? h(
          "form",
          {
            class: "agent-form",
            novalidate: true,
            on: {
              submit: (e) => {
                e.preventDefault();
                void createAgent(input, error);
              },
            },
          },
          h(
            "div",
            { class: "field" },
            h("label", { for: "agent-name" }, "New agent's name"),
            input,
          ),
          h("button", { type: "submit" }, "Create agent"),
          error,
        )
      : detail("You can see the agents; only an admin can create, activate or deactivate them."),
    list.agents.length > 0
      ? h("ul", { class: "agents", id: "agents" }, list.agents.map(agentItem))
      : h("p", { class: "muted" }, "No agents yet."),
  );
};

/** The AI agents tab's cards, in order: add a card here. */
export const AGENT_CARDS: readonly Card<AgentsData>[] = [agentsCard, agentCreditsCard];

export function renderAgents(data: AgentsData, agentsHost: AgentsHost): HTMLElement[] {
  host = agentsHost;
  setBudgetHost(agentsHost);
  current = data;
  return renderCards(AGENT_CARDS, data);
}
