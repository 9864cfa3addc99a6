/**
 * Budgets inside the pool on the page: each agent's credits this period and its cap (the
 * agents tab), and the pool and each top-up apart (the credits tab).
 */
import { type AgentCredits, type Credits, Problem } from "./api";
import type { Card } from "./cards";
import { h } from "./dom";
import { count, day, num } from "./format";
import { detail, mayEdit, notice, state } from "./view";

export interface BudgetHost {
  refresh(): Promise<void>;
  showProblem(p: Problem): void;
}

let host: BudgetHost | null = null;
export const setBudgetHost = (h: BudgetHost): void => {
  host = h;
};

/** Saves an agent's cap: empty removes it; anything but a whole number ≥ 0 is said, not sent. */
async function saveCap(a: AgentCredits, raw: string, error: HTMLElement): Promise<void> {
  const text = raw.trim();
  const limit = text === "" ? null : Number(text);
  if (limit !== null && (!Number.isInteger(limit) || limit < 0)) {
    error.textContent = "A cap is a whole number of credits, 0 or more; leave it empty for none.";
    return;
  }
  if (!state.api || !host) return;
  try {
    await state.api.setAgentLimit(a.agentId, limit);
  } catch (p) {
    if (p instanceof Problem && p.code === "invalid_request") {
      error.textContent = p.fieldMessages.join(" ") || "Check the cap and try again.";
      return;
    }
    if (p instanceof Problem) return host.showProblem(p);
    throw p;
  }
  notice(
    limit === null
      ? `${a.agentId} has no credit cap now.`
      : `${a.agentId} may use ${count(limit, "credit", "credits")} this period.`,
  );
  state.focusAfter = `[data-agent-credits="${CSS.escape(a.agentId)}"] input`;
  await host.refresh();
}

const capForm = (a: AgentCredits): HTMLElement => {
  const error = h("span", { class: "error", role: "alert" });
  const input = h("input", {
    type: "number",
    min: 0,
    step: 1,
    inputmode: "numeric",
    "aria-label": `Credit cap for ${a.agentId}`,
    value: a.creditLimit === null ? "" : String(a.creditLimit),
    placeholder: "No cap",
  });
  return h(
    "form",
    {
      class: "cap-form",
      novalidate: true,
      on: {
        submit: (e) => {
          e.preventDefault();
          void saveCap(a, input.value, error);
        },
      },
    },
    input,
    h("button", { type: "submit", class: "ghost" }, "Save cap"),
    error,
  );
};

const agentRow = (a: AgentCredits): HTMLElement =>
  h(
    "tr",
    { "data-agent-credits": a.agentId },
    h("th", { scope: "row" }, a.agentId, a.deleted ? h("small", null, " (deleted)") : null),
    h("td", null, num(a.creditsUsed)),
    h("td", null, a.creditLimit === null ? "No cap" : num(a.creditLimit)),
    h(
      "td",
      null,
      a.creditsRemaining === null
        ? "—"
        : a.creditsRemaining <= 0
          ? h("strong", null, "Stopped: cap reached")
          : num(a.creditsRemaining),
    ),
    h("td", null, mayEdit() && !a.deleted ? capForm(a) : null),
  );

/** The agents tab's credits card: every agent's use this period and its cap. */
export const agentCreditsCard: Card<{ credits: Credits }> = ({ credits }) =>
  h(
    "section",
    { class: "card", "aria-labelledby": "agent-credits-title" },
    h("h2", { id: "agent-credits-title" }, "Agents' credits this period"),
    detail(
      "A cap limits what one agent may spend this period, reservations included. It reserves nothing: agents still share the workspace's credits, first come, first served.",
      mayEdit() ? " Set a cap, or leave it empty for none." : " Only an admin can set caps.",
    ),
    credits.agents.length === 0
      ? h("p", { class: "muted" }, "No agents have used credits yet.")
      : h(
          "table",
          { id: "agent-credits" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ...["Agent", "Used", "Cap", "Left under the cap", ""].map((t) =>
                h("th", { scope: "col" }, t),
              ),
            ),
          ),
          h("tbody", null, credits.agents.map(agentRow)),
        ),
  );

/** The credits tab's card: the pool and each top-up, apart. */
export const topupsCard: Card<{ credits: Credits }> = ({ credits: c }) =>
  h(
    "section",
    { class: "card", "aria-labelledby": "topups-title" },
    h("h2", { id: "topups-title" }, "Credits left"),
    h(
      "dl",
      { class: "kv", id: "credits-left" },
      h("dt", null, "This period's pool"),
      h("dd", null, num(c.poolRemaining)),
      h("dt", null, "Top-ups"),
      h("dd", null, num(c.topupRemaining)),
      h("dt", null, "In all"),
      h("dd", null, h("strong", null, num(c.remaining))),
    ),
    c.topups.length === 0
      ? detail("No top-ups. Credits bought once are spent after this period's pool.")
      : h(
          "ul",
          { id: "topups" },
          c.topups.map((t) =>
            h(
              "li",
              { "data-topup": t.id },
              `${num(t.remaining)} of ${count(t.credits, "credit", "credits")} left, ${
                t.active ? `until ${day(t.expiresAt)}` : `expired ${day(t.expiresAt)}`
              } (top-up ${t.id})`,
            ),
          ),
        ),
    detail(
      "The pool (included credits and packages) is spent first and renews each period; top-ups are spent after it, the one that expires first first, and do not renew.",
    ),
  );
