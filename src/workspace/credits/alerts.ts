import { fail, ok } from "../../outcome";
import {
  type AlertFigures,
  type AlertRule,
  alertEvent,
  alertFigure,
  decideAlertRule,
  isCrossed,
  stepAlerts,
} from "../../policy/alerts";
import { topupsRemaining } from "../../policy/budgets";
import type { AiFeature } from "../../policy/catalogue";
import type { PeriodBounds } from "../../policy/credits";
import { iso } from "../../policy/time";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { fireAlert, rearmAlert } from "../memoryBudgets";
import { agentUse, loadRules, ruleOf } from "./budgets";
import { loadCreditState } from "./state";

// Alert rules (docs/rules.md, "Alert rules"): kept by the admin, evaluated in the transaction
// of the spend that crosses them, from the figures the object keeps in memory.

/** The figures the rules are evaluated against, from memory when the object passes it. */
function figuresOf(ctx: WorkspaceContext) {
  const state = loadCreditState(ctx);
  const figures: AlertFigures = {
    pool: state.pool,
    topupRemaining: topupsRemaining(state.budgets.topups, ctx.now),
    feature: (f: AiFeature) => state.features[f],
    agent: (id: string) => agentUse(state.budgets, id),
  };
  return { state, figures };
}

/**
 * Announces each rule the figures crossed and that has not fired this period, once; with
 * `rearm` (a settle after a change: a package or top-up added, a cap raised) also re-arms the
 * rules whose figure went back. A spend passes `rearm` false: with no rule crossed it writes
 * nothing and reads nothing beyond memory.
 */
export function applyAlerts(ctx: WorkspaceContext, period: PeriodBounds, rearm: boolean): void {
  const c = ctx.counters;
  // No rule, nothing to evaluate: memory says so for free, storage with one indexed read.
  const rules = c !== undefined ? c.budgets.alertRules : loadRules(ctx.store);
  if (rules.length === 0) return;
  const { state, figures } = figuresOf(ctx);
  if (state.period.start !== period.start) return;
  const step = stepAlerts(state.budgets.alertRules, state.budgets.alertsFired, figures, rearm);
  for (const id of step.rearm) rearmAlert(ctx, period.start, id);
  for (const { rule } of step.fire) fireAlert(ctx, period.start, rule.id);
  recordEvents(
    ctx.store,
    step.fire.map(({ rule, figure }) => alertEvent(rule, figure, period)),
    ctx.now,
  );
}

export interface AlertRuleInput {
  metric: AlertRule["metric"];
  threshold: number;
  scope: AlertRule["scope"];
}

function ruleView(ctx: WorkspaceContext, rule: AlertRule) {
  const { state, figures } = figuresOf(ctx);
  const figure = alertFigure(rule, figures);
  return {
    ...rule,
    figure,
    crossed: isCrossed(rule, figure),
    firedThisPeriod: state.budgets.alertsFired.has(rule.id),
    periodStart: iso(state.period.start),
  };
}

export function putAlertRule(ctx: WorkspaceContext, id: string, input: AlertRuleInput) {
  const exists =
    ctx.store.one("SELECT 1 AS x FROM credit_alert_rules WHERE id = ?", id) !== undefined;
  const count =
    ctx.store.one<{ n: number }>("SELECT COUNT(*) AS n FROM credit_alert_rules")?.n ?? 0;
  const decided = decideAlertRule(exists, count);
  if (!decided.ok) return decided;
  ctx.store.run(
    `INSERT INTO credit_alert_rules (id, metric, threshold, scope, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET metric = excluded.metric, threshold = excluded.threshold,
       scope = excluded.scope, updated_at = excluded.updated_at`,
    id,
    input.metric,
    input.threshold,
    JSON.stringify(input.scope),
    ctx.now,
    ctx.now,
  );
  // A changed rule is a new rule: armed, and evaluated by the settle that closes this call.
  const period = loadCreditState(ctx).period;
  rearmAlert(ctx, period.start, id);
  return ok({ ...ruleView(ctx, { id, ...input }), created: decided.value.created });
}

export function deleteAlertRule(ctx: WorkspaceContext, id: string) {
  const row = ctx.store.one<{
    id: string;
    metric: AlertRule["metric"];
    threshold: number;
    scope: string;
  }>("SELECT id, metric, threshold, scope FROM credit_alert_rules WHERE id = ?", id);
  if (row === undefined) return fail("not_found", `No alert rule ${id} in this workspace.`);
  ctx.store.run("DELETE FROM credit_alert_rules WHERE id = ?", id);
  ctx.store.run("DELETE FROM credit_alerts_fired WHERE rule_id = ?", id);
  return ok({ deleted: true as const, rule: ruleOf(row) });
}

export function getAlertRule(ctx: WorkspaceContext, id: string) {
  const rule = loadRules(ctx.store).find((r) => r.id === id);
  return rule === undefined
    ? fail("not_found", `No alert rule ${id} in this workspace.`)
    : ok(ruleView(ctx, rule));
}

export const listAlertRules = (ctx: WorkspaceContext) =>
  ok({ rules: loadRules(ctx.store).map((rule) => ruleView(ctx, rule)) });
