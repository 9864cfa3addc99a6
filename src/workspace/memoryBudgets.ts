import { POOL_SOURCE } from "../policy/budgets";
import type { Instant } from "../policy/time";
import type { WorkspaceContext } from "./context";
import { bump, writable } from "./memory";

/**
 * Memory's writers of the budgets' figures (docs/budgets.md): a part of memory.ts kept in a file
 * of its own, like memoryLedger.ts. Each writes its row and the remembered figure together, and
 * the paired check compares them (memory.ts, countersDiffer).
 */

/** Credits an agent used in the period that started at `periodStart` (credit_agent_usage). */
export function addAgentUsed(
  ctx: WorkspaceContext,
  periodStart: Instant,
  agentId: string,
  credits: number,
): void {
  ctx.store.run(
    `INSERT INTO credit_agent_usage (period_start, agent_id, used) VALUES (?, ?, ?)
     ON CONFLICT (period_start, agent_id) DO UPDATE SET used = used + excluded.used`,
    periodStart,
    agentId,
    credits,
  );
  const c = writable(ctx);
  if (c?.period.start === periodStart) bump(c.budgets.agentUsed, agentId, credits);
}

/**
 * An agent's open holds: its row is the reservation's own `agent_id`, written with the
 * reservation (or closed with it), so only memory changes here.
 */
export function addAgentHeld(ctx: WorkspaceContext, agentId: string, credits: number): void {
  const c = writable(ctx);
  if (c !== undefined) bump(c.budgets.agentHeld, agentId, credits);
}

/** Moves top-ups' `used` or `held` by the credits each source names (the pool is skipped). */
export function addTopups(
  ctx: WorkspaceContext,
  sources: readonly [string, number][],
  column: "used" | "held",
  sign: 1 | -1,
): void {
  const c = writable(ctx);
  for (const [id, n] of sources) {
    if (id === POOL_SOURCE || n === 0) continue;
    ctx.store.run(`UPDATE credit_topups SET ${column} = ${column} + ? WHERE id = ?`, sign * n, id);
    const t = c?.budgets.topups.find((x) => x.id === id);
    if (t !== undefined) t[column] += sign * n;
  }
}

/** A rule announced in the period that started at `periodStart` (credit_alerts_fired). */
export function fireAlert(ctx: WorkspaceContext, periodStart: Instant, ruleId: string): void {
  ctx.store.run(
    "INSERT OR IGNORE INTO credit_alerts_fired (rule_id, period_start) VALUES (?, ?)",
    ruleId,
    periodStart,
  );
  const c = writable(ctx);
  if (c?.period.start === periodStart) c.budgets.alertsFired.add(ruleId);
}

/** A rule armed again: its figure went back across its threshold. */
export function rearmAlert(ctx: WorkspaceContext, periodStart: Instant, ruleId: string): void {
  ctx.store.run(
    "DELETE FROM credit_alerts_fired WHERE rule_id = ? AND period_start = ?",
    ruleId,
    periodStart,
  );
  const c = writable(ctx);
  if (c?.period.start === periodStart) c.budgets.alertsFired.delete(ruleId);
}
