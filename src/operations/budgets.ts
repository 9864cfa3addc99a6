import { CAN } from "../claims";
import {
  AgentCredits,
  AgentLimitInput,
  AgentLimitParams,
  AlertParams,
  AlertRule,
  AlertRuleAnswer,
  AlertRuleDeleted,
  AlertRuleInput,
  AlertRuleList,
  TopupAnswer,
  TopupInput,
} from "../schemas/budgets";
import { operation } from "./operation";

// Budgets inside the pool (docs/rules.md, "Budgets inside the pool"): agent caps, top-ups and
// alert rules.

const tags = ["AI credits"];

export const setAgentLimit = operation({
  name: "setAgentLimit",
  tags,
  summary: "Cap an agent's credits per period, 0 to stop it, null to uncap (admin)",
  description:
    "A cap reserves nothing; a spend naming the agent must fit it too (`agent_limit_reached`).",
  roles: CAN.administer,
  params: AgentLimitParams,
  body: AgentLimitInput,
  response: AgentCredits,
  answers: "The agent's credits this period with its new cap",
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.setAgentLimit(params.agentId, body.limit, meta),
});

export const putCreditTopup = operation({
  name: "putCreditTopup",
  tags,
  summary: "Sell a one-off top-up: credits drawn after the pool, until used or expired (platform)",
  description:
    "Idempotent by id: the same top-up again changes nothing; the same id with other figures is a 409. Top-ups do not reset at renewal; the earliest expiry is drawn first.",
  roles: CAN.bill,
  body: TopupInput,
  response: TopupAnswer,
  answers: "The top-up and what it has left",
  errors: ["already_exists", "too_many_topups"],
  idempotent: true,
  run: (stub, { body }, meta) => stub.putCreditTopup(body, meta),
});

export const putAlertRule = operation({
  name: "putAlertRule",
  tags,
  summary: "Set a credit alert rule: `credits.alert` once per crossing per period (admin)",
  description:
    "At most 20 rules. A rule fires when its figure crosses the threshold and is re-armed when the figure goes back (a package or top-up added, a cap raised, a new period).",
  roles: CAN.administer,
  params: AlertParams,
  body: AlertRuleInput,
  response: AlertRuleAnswer,
  answers: "The rule with its figure now",
  errors: ["too_many_alert_rules"],
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.putAlertRule(params.id, body, meta),
});

export const alertRule = operation({
  name: "alertRule",
  tags,
  summary: "A credit alert rule with its figure now",
  roles: CAN.read,
  params: AlertParams,
  response: AlertRule,
  answers: "The rule",
  run: (stub, { params }) => stub.alertRule(params.id),
});

export const alertRules = operation({
  name: "alertRules",
  tags,
  summary: "The credit alert rules, with their figures now",
  roles: CAN.read,
  response: AlertRuleList,
  answers: "Every rule, by id",
  run: (stub) => stub.alertRules(),
});

export const deleteAlertRule = operation({
  name: "deleteAlertRule",
  tags,
  summary: "Delete a credit alert rule (admin)",
  roles: CAN.administer,
  params: AlertParams,
  response: AlertRuleDeleted,
  answers: "The deleted rule",
  idempotent: true,
  run: (stub, { params }, meta) => stub.deleteAlertRule(params.id, meta),
});
