import { assert, isCount } from "./assert";
import {
  decideSpend,
  type Pool,
  remainingOf,
  type SpendDecision,
  type SpendInput,
  type SpendMode,
} from "./credits";
import { grouped } from "./format";
import type { Instant } from "./time";

// Budgets inside the pool (docs/rules.md, "Budgets inside the pool"): agent caps and one-off
// top-ups, decided on top of the pool's own rule.

/** The pool's own name among the sources a credit is paid from. */
export const POOL_SOURCE = "pool";

/** At most this many top-ups count at once; more is a 409, so remaining stays a short sum. */
export const MAX_ACTIVE_TOPUPS = 100;

/** One top-up: credits bought once, drawn after the pool, until used or expired. */
export interface Topup {
  id: string;
  credits: number;
  /** Credits it paid, in any period. */
  used: number;
  /** Credits of open holds drawn from it. */
  held: number;
  expiresAt: Instant;
}

/** An agent in the current period, with the admin's cap (null = uncapped). */
export interface AgentUse {
  agentId: string;
  used: number;
  held: number;
  limit: number | null;
}

/** Where credits came from (or go back to): `[source, credits]`, pool first, in draw order. */
export type Sources = [string, number][];

export const topupActive = (t: Pick<Topup, "expiresAt">, now: Instant): boolean =>
  t.expiresAt > now;

/** What is left of a top-up at `now`: nothing once it expired. */
export const topupRemaining = (t: Topup, now: Instant): number =>
  topupActive(t, now) ? Math.max(0, t.credits - t.used - t.held) : 0;

/** The order top-ups are drawn in: earliest expiry first, then id (docs/rules.md). */
export const drawOrder = (a: Topup, b: Topup): number =>
  a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const topupsRemaining = (topups: readonly Topup[], now: Instant): number =>
  topups.reduce((sum, t) => sum + topupRemaining(t, now), 0);

/**
 * Where `credits` are drawn from: what the pool has left first, then each top-up, earliest
 * expiry first. What no source covers (a commit above its estimate once everything is spent)
 * lands on the pool, which goes below zero, as an overrun always did.
 */
export function allocate(
  credits: number,
  poolRemaining: number,
  topups: readonly Topup[],
  now: Instant,
): Sources {
  assert(isCount(credits), "credits to draw are whole and never negative");
  let rest = credits;
  const fromPool = Math.min(rest, Math.max(0, poolRemaining));
  rest -= fromPool;
  const drawn: Sources = [];
  for (const t of [...topups].sort(drawOrder)) {
    if (rest === 0) break;
    const n = Math.min(rest, topupRemaining(t, now));
    if (n > 0) drawn.push([t.id, n]);
    rest -= n;
  }
  const pool = fromPool + rest;
  return pool > 0 || drawn.length === 0 ? [[POOL_SOURCE, pool], ...drawn] : drawn;
}

/** The pool's part of some sources. */
export const poolPart = (sources: Sources): number =>
  sources.reduce((n, [source, c]) => (source === POOL_SOURCE ? n + c : n), 0);

/**
 * A commit charges `charged` of a hold drawn from `held`: the charge takes the hold's sources
 * in the order they were drawn, the rest of the hold goes back to where it came from, and a
 * charge above the hold draws the difference like a new spend (`more`).
 */
export function splitCommit(held: Sources, charged: number) {
  const paid: Sources = [];
  const returned: Sources = [];
  let rest = charged;
  for (const [source, n] of held) {
    const take = Math.min(rest, n);
    if (take > 0) paid.push([source, take]);
    if (n - take > 0) returned.push([source, n - take]);
    rest -= take;
  }
  return { paid, returned, more: rest };
}

/** Merges sources that name the same one (a commit's hold part and its overrun part). */
export function mergeSources(...parts: Sources[]): Sources {
  const merged = new Map<string, number>();
  for (const part of parts) {
    for (const [source, n] of part) merged.set(source, (merged.get(source) ?? 0) + n);
  }
  return [...merged].filter(([, n]) => n > 0);
}

// ---- the decision --------------------------------------------------------------------------

export interface BudgetSpendInput extends SpendInput {
  /** The agent the spend names, with its figures; undefined when it names none. */
  agent?: AgentUse;
  /** Top-ups that may pay (active ones, and expired ones still holding credits). */
  topups: readonly Topup[];
  now: Instant;
}

export type BudgetDecision = Omit<SpendDecision, "reason"> & {
  reason?: SpendDecision["reason"] | "agent_limit_reached";
  /** What the pool alone has left (balance − used − held). */
  poolRemaining: number;
  /** What the top-ups have left; remaining = poolRemaining + topupRemaining. */
  topupRemaining: number;
  agentId?: string;
  agentLimit?: number | null;
  agentUsed?: number;
  agentHeld?: number;
  agentRemaining?: number | null;
};

export const agentRemainingOf = (a: AgentUse): number | null =>
  a.limit === null ? null : a.limit - a.used - a.held;

const fmt = grouped;

function agentRefusal(a: AgentUse, c: number): string {
  if (a.limit === 0) {
    return `Agent ${a.agentId} is stopped: an admin set its credit limit to 0. An admin can raise the limit; otherwise it stays stopped.`;
  }
  const left = Math.max(0, agentRemainingOf(a) ?? 0);
  return `Agent ${a.agentId} has reached its credit limit for this period: it needs ${fmt(c)} credits, and ${fmt(left)} of its ${fmt(a.limit ?? 0)} remain. An admin can raise the agent's limit.`;
}

/**
 * A spend is allowed iff the pool's rule allows it with the top-ups' credits counted in what
 * remains, and, if it names a capped agent, c ≤ cap − agent's used − agent's held. The pool's
 * refusals come first (not in plan, credits, feature cap), then the agent's: the reason names
 * the first thing that would have to change. An allowed debit or hold is drawn from the pool
 * first, then top-ups, earliest expiry first (`sources`); a check draws nothing.
 */
export function decideBudgetSpend(
  input: BudgetSpendInput,
  mode: SpendMode,
): { decision: BudgetDecision; sources: Sources } {
  const { pool, credits: c, agent, now } = input;
  const topups = topupsRemaining(input.topups, now);
  const withTopups: Pool = { ...pool, balance: pool.balance + topups };
  let d: BudgetDecision & { poolRemaining: number } = {
    ...decideSpend({ ...input, pool: withTopups }, mode),
    poolRemaining: 0,
    topupRemaining: 0,
  };
  const agentFits =
    agent === undefined || agent.limit === null || c <= (agentRemainingOf(agent) ?? 0);
  if (d.allowed && !agentFits && agent !== undefined) {
    d = {
      ...decideSpend({ ...input, pool: withTopups }, "check"),
      allowed: false,
      reason: "agent_limit_reached",
      message: agentRefusal(agent, c),
      poolRemaining: 0,
      topupRemaining: 0,
    };
  }
  const spends = d.allowed && mode !== "check";
  const sources = spends ? allocate(c, remainingOf(pool), input.topups, now) : [];
  const fromPool = poolPart(sources);
  const poolAfter: Pool = {
    ...pool,
    used: pool.used + (mode === "debit" ? fromPool : 0),
    held: pool.held + (mode === "hold" ? fromPool : 0),
  };
  const agentAfter =
    agent === undefined
      ? undefined
      : {
          ...agent,
          used: agent.used + (spends && mode === "debit" ? c : 0),
          held: agent.held + (spends && mode === "hold" ? c : 0),
        };
  const decision: BudgetDecision = {
    ...d,
    monthlyBalance: pool.balance,
    used: poolAfter.used,
    held: poolAfter.held,
    poolRemaining: remainingOf(poolAfter),
    topupRemaining: topups - (c - fromPool) * (spends ? 1 : 0),
  };
  assert(
    decision.remaining === decision.poolRemaining + decision.topupRemaining,
    "remaining is the pool's plus the top-ups'",
  );
  if (agentAfter !== undefined) {
    Object.assign(decision, {
      agentId: agentAfter.agentId,
      agentLimit: agentAfter.limit,
      agentUsed: agentAfter.used,
      agentHeld: agentAfter.held,
      agentRemaining: agentRemainingOf(agentAfter),
    });
    assert(
      !decision.allowed ||
        agentAfter.limit === null ||
        agentAfter.used + agentAfter.held <= agentAfter.limit,
      "an allowed spend fits under its agent's cap",
    );
  }
  return { decision, sources };
}
