/** The Usage tab: one card per limit, each with what happens next. */
import { AI_FEATURES } from "../../policy/catalogue";
import type { Subscription, Usage } from "./api";
import { type Card, renderCards } from "./cards";
import { h } from "./dom";
import { count, day, num, when } from "./format";
import { consequence, countdown, detail, figure, limitCard, meter, pill } from "./view";
import {
  AGENT_NAME,
  agentPlansAbove,
  CHANNEL_WORDS,
  ENTITY_WORDS,
  featureName,
  planName,
} from "./words";

export interface UsageData {
  usage: Usage;
  subscription: Subscription;
}

const entityCard =
  (key: keyof typeof ENTITY_WORDS): Card<UsageData> =>
  ({ usage }) => {
    const n = ENTITY_WORDS[key];
    const x = usage[key];
    let badge: HTMLElement | null = null;
    let note: HTMLElement | null = null;
    if (x.state === "grace" && x.graceEndsAt !== null) {
      const excess = x.limit === null ? 0 : Math.max(0, x.used - x.limit);
      badge = pill("grace", "Limit reached");
      note = consequence(
        false,
        countdown(x.graceEndsAt),
        ", ",
        excess > 0
          ? [
              h("strong", null, count(excess, n.one, n.many)),
              " (the most recently created) will be blocked",
            ]
          : `new ${n.many} will be blocked`,
        ` unless the limit is raised or ${n.free}. Blocked ones stay visible, but their data, chats and automations can't be opened. `,
        h("span", { class: "muted" }, `Grace ends ${when(x.graceEndsAt)}.`),
      );
    } else if (x.state === "enforced") {
      badge = pill("enforced", "Over the limit");
      note = consequence(
        true,
        h("strong", null, `New ${n.many} are blocked`),
        x.blocked > 0
          ? `, and ${count(x.blocked, n.one, n.many)} can be seen but their data, chats and automations can't be opened`
          : "",
        ". Raise the limit (more seats or a bigger plan), or free room: blocked ones are unblocked oldest first.",
      );
    }
    return limitCard(
      key,
      n.title,
      badge,
      figure(x.used, x.limit),
      meter(x.used, x.limit, n.title),
      note,
      x.state === "ok" && x.blocked > 0
        ? detail(`${count(x.blocked, n.one, n.many)} blocked`)
        : null,
    );
  };

const channelCard =
  (key: keyof typeof CHANNEL_WORDS): Card<UsageData> =>
  ({ usage }) => {
    const n = CHANNEL_WORDS[key];
    const x = usage[key];
    let badge: HTMLElement | null = null;
    let note: HTMLElement | null = null;
    if (x.state === "grace" && x.graceEndsAt !== null) {
      badge = pill("grace", "Over the limit");
      note = consequence(
        false,
        countdown(x.graceEndsAt),
        ", ",
        h("strong", null, count(x.toDisable, n.one, n.many)),
        ` (the earliest connected) will be disabled unless the limit is raised or ${n.gone} are disconnected. All keep working until then. `,
        h("span", { class: "muted" }, `Grace ends ${when(x.graceEndsAt)}.`),
      );
    } else if (x.state === "enforced") {
      badge = pill("enforced", "Limit enforced");
      note = consequence(
        true,
        h("strong", null, `${count(x.disabled, n.one, n.many)} disabled`),
        " when the grace ended (the earliest connected first). Connecting more than the limit allows disables them again; raise the limit (more seats or a bigger plan) to connect more.",
      );
    }
    return limitCard(
      key,
      n.title,
      badge,
      figure(x.used, x.limit),
      meter(x.used, x.limit, n.title),
      note,
      x.grandfathered > 0
        ? detail(`${num(x.grandfathered)} connected before June 1, 2026: counted, never disabled.`)
        : null,
      x.state !== "enforced" && x.disabled > 0
        ? detail(
            `${count(x.disabled, n.one, n.many)} disabled by the limit; reconnecting one counts as a new connection.`,
          )
        : null,
    );
  };

const agentsCard: Card<UsageData> = ({ usage, subscription }) => {
  const x = usage.agents;
  if (x.limit === 0) {
    return limitCard(
      "agents",
      AGENT_NAME.active,
      pill("absent", "Not in your plan"),
      detail(
        `AI agents are not included in the ${planName(subscription.plan)} plan. ${agentPlansAbove(subscription.plan)}`,
      ),
    );
  }
  return limitCard(
    "agents",
    AGENT_NAME.active,
    null,
    figure(x.used, x.limit),
    meter(x.used, x.limit, AGENT_NAME.active),
    detail(`${num(x.total)} of ${num(x.totalLimit)} created (draft, active and offline).`),
    x.limit !== null && x.used >= x.limit
      ? detail("All active slots are in use: deactivate one to activate another.")
      : null,
  );
};

const creditsCard: Card<UsageData> = ({ usage, subscription }) => {
  const x = usage.credits;
  const notInPlan = AI_FEATURES.filter((f) => !subscription.features.includes(f));
  return limitCard(
    "credits",
    "AI credits",
    x.remaining <= 0 ? pill("enforced", "Used up") : null,
    figure(x.used, x.limit),
    meter(x.used, x.limit, "AI credits", true),
    detail(
      `${x.percentUsed.toFixed(1)}% used${x.held > 0 ? ` · ${num(x.held)} held by calls in progress` : ""} · resets ${day(x.nextResetAt)}`,
    ),
    x.remaining <= 0
      ? consequence(
          true,
          h("strong", null, "AI features are stopped"),
          ` until credits renew on ${day(x.nextResetAt)}, unless credits are added (more seats, a credit package or a bigger plan).`,
        )
      : null,
    notInPlan.length > 0
      ? detail(`Not in your plan: ${notInPlan.map(featureName).join(", ")}.`)
      : null,
  );
};

const questionsCard: Card<UsageData> = ({ usage }) => {
  const x = usage.copilotQuestions;
  const out = x.limit !== null && x.used >= x.limit;
  const title = "Copilot questions about Kommo";
  return limitCard(
    "copilotQuestions",
    title,
    out ? pill("enforced", "Used up") : null,
    figure(x.used, x.limit),
    meter(x.used, x.limit, title, true),
    detail(
      out ? `No more questions until ${day(x.nextResetAt)}.` : `Resets ${day(x.nextResetAt)}.`,
    ),
  );
};

/** The Usage tab's cards, in order: add a limit's card here. */
export const USAGE_CARDS: readonly Card<UsageData>[] = [
  entityCard("leads"),
  entityCard("contactsAndCompanies"),
  channelCard("whatsapp"),
  channelCard("instagram"),
  agentsCard,
  creditsCard,
  questionsCard,
];

export const renderUsage = (data: UsageData): HTMLElement[] => [
  h("h2", { class: "sr-only" }, "Usage"),
  h("div", { class: "limits" }, renderCards(USAGE_CARDS, data)),
];
