import { fail, type Outcome, ok } from "../outcome";
import type { AiFeature } from "./catalogue";
import { type PeriodBounds, type Pool, percentUsed, remainingOf } from "./credits";
import type { PolicyEvent } from "./events";
import { iso } from "./time";

// Alert rules (docs/rules.md, "Alert rules"): an admin's own levels, each announced once per
// crossing per period and re-armed when the figure goes back.

/** At most this many rules per workspace: every spend evaluates them from memory. */
export const MAX_ALERT_RULES = 20;

export const ALERT_METRICS = ["percentUsed", "remaining"] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export type AlertScope = { pool: true } | { feature: AiFeature } | { agentId: string };

export interface AlertRule {
  id: string;
  metric: AlertMetric;
  threshold: number;
  scope: AlertScope;
}

/** A capped figure (a feature or an agent) this period; limit null = uncapped. */
export interface Capped {
  used: number;
  held: number;
  limit: number | null;
}

/** What the rules are evaluated against: the pool, the top-ups, every feature and agent. */
export interface AlertFigures {
  pool: Pool;
  topupRemaining: number;
  feature(feature: AiFeature): Capped | undefined;
  agent(agentId: string): Capped | undefined;
}

/**
 * The rule's figure now, or null when it has none (a feature or agent without a cap has no
 * percentage and no remaining of its own). percentUsed is of the pool's balance or the cap;
 * remaining is the pool's plus the top-ups', or the cap's.
 */
export function alertFigure(rule: AlertRule, f: AlertFigures): number | null {
  const { scope } = rule;
  if ("pool" in scope) {
    return rule.metric === "percentUsed"
      ? percentUsed(f.pool.used, f.pool.balance)
      : remainingOf(f.pool) + f.topupRemaining;
  }
  const capped = "feature" in scope ? f.feature(scope.feature) : f.agent(scope.agentId);
  if (capped === undefined || capped.limit === null) return null;
  return rule.metric === "percentUsed"
    ? percentUsed(capped.used, capped.limit)
    : capped.limit - capped.used - capped.held;
}

/** Whether the figure is across the rule's threshold: at or above a percentage, at or below a remaining. */
export const isCrossed = (rule: AlertRule, figure: number | null): boolean =>
  figure !== null &&
  (rule.metric === "percentUsed" ? figure >= rule.threshold : figure <= rule.threshold);

export interface AlertStep {
  /** Rules to announce now (crossed, not fired this period). */
  fire: { rule: AlertRule; figure: number }[];
  /** Rules fired this period whose figure went back: armed again. */
  rearm: string[];
}

/**
 * What the rules do at these figures. A spend only fires (`rearm` false: a spend never takes a
 * figure back); a settle after a change (a package or top-up added, a cap raised) also re-arms
 * the rules whose figure went back across.
 */
export function stepAlerts(
  rules: readonly AlertRule[],
  fired: ReadonlySet<string>,
  figures: AlertFigures,
  rearm: boolean,
): AlertStep {
  const step: AlertStep = { fire: [], rearm: [] };
  for (const rule of rules) {
    const figure = alertFigure(rule, figures);
    const crossed = isCrossed(rule, figure);
    if (crossed && !fired.has(rule.id) && figure !== null) step.fire.push({ rule, figure });
    else if (!crossed && rearm && fired.has(rule.id)) step.rearm.push(rule.id);
  }
  return step;
}

export function alertEvent(rule: AlertRule, figure: number, period: PeriodBounds): PolicyEvent {
  return {
    type: "credits.alert",
    data: {
      ruleId: rule.id,
      metric: rule.metric,
      scope: rule.scope,
      threshold: rule.threshold,
      figure,
      periodStart: iso(period.start),
      nextResetAt: iso(period.end),
    },
  };
}

/** A new rule is refused once 20 exist; replacing one of them (same id) never is. */
export function decideAlertRule(exists: boolean, count: number): Outcome<{ created: boolean }> {
  if (!exists && count >= MAX_ALERT_RULES) {
    return fail(
      "too_many_alert_rules",
      `This workspace already has ${MAX_ALERT_RULES} alert rules; replace one (same id) or delete one.`,
    );
  }
  return ok({ created: !exists });
}
