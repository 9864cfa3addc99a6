import { fail, type Outcome, ok } from "../outcome";
import {
  type AgentCounts,
  type AgentRef,
  type AgentRefusal,
  type AgentState,
  activeAgentLimit,
  decideActivation,
  decideCreate,
  decideDeactivation,
  excessActive,
  fitToLimit,
  type OfflineReason,
} from "../policy/agents";
import type { Plan } from "../policy/catalogue";
import { type Instant, iso, isoOrNull } from "../policy/time";
import type { Migration, Store } from "../storage";
import type { WorkspaceContext } from "./context";
import type { Domain } from "./domain";
import { recordEvents } from "./events";

export const agentMigrations: Migration[] = [
  {
    name: "agents_v1",
    statements: [
      // `activation_seq` is set from a counter on each activation and cleared when the agent
      // stops being active, so "activated last" is an index walk, never a scan.
      `CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('draft', 'active', 'offline')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        activated_at INTEGER,
        activation_seq INTEGER UNIQUE,
        offline_reason TEXT,
        CHECK ((state = 'active') = (activation_seq IS NOT NULL))
      )`,
      // Counters, so limits and usage never COUNT(*); one row, kept in the same transaction.
      `CREATE TABLE agent_counters (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        active INTEGER NOT NULL,
        total INTEGER NOT NULL,
        last_activation_seq INTEGER NOT NULL
      )`,
      "INSERT INTO agent_counters (singleton, active, total, last_activation_seq) VALUES (1, 0, 0, 0)",
    ],
  },
];

interface AgentRow {
  id: string;
  name: string;
  state: AgentState;
  created_at: number;
  updated_at: number;
  activated_at: number | null;
  offline_reason: OfflineReason | null;
}

const COLUMNS = "id, name, state, created_at, updated_at, activated_at, offline_reason";

export function agentView(row: AgentRow) {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    /** When it was last activated, while it is active. */
    activatedAt: isoOrNull(row.activated_at),
    offlineReason: row.state === "offline" ? row.offline_reason : null,
  };
}
export type AgentView = ReturnType<typeof agentView>;

const counts = (store: Store): AgentCounts & { lastActivationSeq: number } => {
  const row = store.one<{ active: number; total: number; last_activation_seq: number }>(
    "SELECT active, total, last_activation_seq FROM agent_counters WHERE singleton = 1",
  );
  return {
    active: row?.active ?? 0,
    total: row?.total ?? 0,
    lastActivationSeq: row?.last_activation_seq ?? 0,
  };
};

const bump = (store: Store, active: number, total: number): void => {
  store.run(
    "UPDATE agent_counters SET active = active + ?, total = total + ? WHERE singleton = 1",
    active,
    total,
  );
};

const findAgent = (store: Store, id: string): AgentRow | undefined =>
  store.one<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = ?`, id);

const notFound = (id: string) => fail<never>("not_found", `No AI agent with id "${id}".`);

/** The figures every agent answer carries (the same as `GET usage` → `agents`). */
export function agentUsage(ctx: WorkspaceContext) {
  const c = counts(ctx.store);
  return {
    used: c.active,
    limit: activeAgentLimit(ctx.limits),
    total: c.total,
    totalLimit: ctx.limits.totalAgents,
  };
}

function figures(ctx: WorkspaceContext) {
  const { used, limit, total, totalLimit } = agentUsage(ctx);
  return { active: used, limit, total, totalLimit };
}

export interface AgentDecision {
  allowed: boolean;
  reason?: AgentRefusal;
  message: string;
  /** Whether this call changed anything (false for no-ops, retries and refusals). */
  changed: boolean;
  agent: AgentView | null;
  active: number;
  limit: number | null;
  total: number;
  totalLimit: number;
  upgradeTo?: Plan | null;
}

function decision(
  ctx: WorkspaceContext,
  id: string,
  answer: Pick<AgentDecision, "allowed" | "reason" | "message" | "changed" | "upgradeTo">,
): AgentDecision {
  const row = findAgent(ctx.store, id);
  return {
    allowed: answer.allowed,
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    message: answer.message,
    changed: answer.changed,
    agent: row === undefined ? null : agentView(row),
    ...figures(ctx),
    ...(answer.upgradeTo === undefined ? {} : { upgradeTo: answer.upgradeTo }),
  };
}

// ---- operations --------------------------------------------------------------------------

export function createAgent(ctx: WorkspaceContext, request: AgentRef): Outcome<AgentDecision> {
  const existing = findAgent(ctx.store, request.id);
  const d = decideCreate(request, existing, counts(ctx.store));
  switch (d.kind) {
    case "conflict":
      return fail("already_exists", d.message, { id: request.id, name: existing?.name });
    case "exists":
      return ok(decision(ctx, request.id, { allowed: true, message: d.message, changed: false }));
    case "refused":
      return ok(
        decision(ctx, request.id, {
          allowed: false,
          reason: d.reason,
          message: d.message,
          changed: false,
        }),
      );
    case "create":
      ctx.store.run(
        `INSERT INTO agents (id, name, state, created_at, updated_at) VALUES (?, ?, 'draft', ?, ?)`,
        request.id,
        request.name,
        ctx.now,
        ctx.now,
      );
      bump(ctx.store, 0, 1);
      return ok(decision(ctx, request.id, { allowed: true, message: d.message, changed: true }));
  }
}

export function activateAgent(ctx: WorkspaceContext, id: string): Outcome<AgentDecision> {
  const agent = findAgent(ctx.store, id);
  if (agent === undefined) return notFound(id);
  const c = counts(ctx.store);
  const d = decideActivation(agent, c, ctx.subscription, ctx.limits, ctx.catalogue);
  switch (d.kind) {
    case "noop":
      return ok(decision(ctx, id, { allowed: true, message: d.message, changed: false }));
    case "refused":
      recordEvents(ctx.store, d.events, ctx.now);
      return ok(
        decision(ctx, id, {
          allowed: false,
          reason: d.reason,
          message: d.message,
          changed: false,
          upgradeTo: d.upgradeTo,
        }),
      );
    case "activate": {
      const seq = c.lastActivationSeq + 1;
      ctx.store.run(
        `UPDATE agents SET state = 'active', activation_seq = ?, activated_at = ?, updated_at = ?,
           offline_reason = NULL WHERE id = ?`,
        seq,
        ctx.now,
        ctx.now,
        id,
      );
      ctx.store.run(
        "UPDATE agent_counters SET active = active + 1, last_activation_seq = ? WHERE singleton = 1",
        seq,
      );
      return ok(decision(ctx, id, { allowed: true, message: d.message, changed: true }));
    }
  }
}

/** Takes active agents offline and frees their slots; the one way an agent stops being active. */
function takeOffline(store: Store, ids: readonly string[], reason: OfflineReason, now: Instant) {
  for (const id of ids) {
    store.run(
      `UPDATE agents SET state = 'offline', activation_seq = NULL, activated_at = NULL,
         offline_reason = ?, updated_at = ? WHERE id = ? AND state = 'active'`,
      reason,
      now,
      id,
    );
  }
  bump(store, -ids.length, 0);
}

export function deactivateAgent(ctx: WorkspaceContext, id: string): Outcome<AgentDecision> {
  const agent = findAgent(ctx.store, id);
  if (agent === undefined) return notFound(id);
  const d = decideDeactivation(agent, counts(ctx.store), ctx.limits);
  if (d.kind === "deactivate") takeOffline(ctx.store, [id], "deactivated", ctx.now);
  return ok(
    decision(ctx, id, { allowed: true, message: d.message, changed: d.kind === "deactivate" }),
  );
}

export function deleteAgent(ctx: WorkspaceContext, id: string): Outcome<AgentDeletion> {
  const agent = findAgent(ctx.store, id);
  if (agent === undefined) return notFound(id);
  ctx.store.run("DELETE FROM agents WHERE id = ?", id);
  bump(ctx.store, agent.state === "active" ? -1 : 0, -1);
  return ok({ deleted: true as const, agent: agentView(agent), ...figures(ctx) });
}
export type AgentDeletion = {
  deleted: true;
  agent: AgentView;
} & ReturnType<typeof figures>;

/** At most 500 rows exist, so the list is bounded without paging; in creation order. */
export function listAgents(ctx: WorkspaceContext) {
  const rows = ctx.store.all<AgentRow>(`SELECT ${COLUMNS} FROM agents ORDER BY rowid`);
  return { agents: rows.map(agentView), ...figures(ctx) };
}
export type AgentList = ReturnType<typeof listAgents>;

// ---- the domain --------------------------------------------------------------------------

/**
 * Keeps the active count within the active limit. Runs after every mutation, so a PUT
 * subscription that lowers the limit turns the last-activated agents off in the same
 * transaction. It reads one counter row unless there is work, so it is cheap, and once the
 * count fits it does nothing more: each agent is turned off (and announced) once.
 */
function settle(ctx: WorkspaceContext): void {
  const c = counts(ctx.store);
  const excess = excessActive(c.active, activeAgentLimit(ctx.limits));
  if (excess === 0) return;
  const lastActivatedFirst = ctx.store.all<AgentRef>(
    "SELECT id, name FROM agents WHERE activation_seq IS NOT NULL ORDER BY activation_seq DESC LIMIT ?",
    excess,
  );
  const step = fitToLimit(lastActivatedFirst, c, ctx.subscription, ctx.limits);
  takeOffline(
    ctx.store,
    step.offline.map((a) => a.id),
    "limit_lowered",
    ctx.now,
  );
  recordEvents(ctx.store, step.events, ctx.now);
}

export const agentsDomain: Domain = {
  migrations: agentMigrations,
  settle,
  // Agent limits change only with the subscription, never with time alone.
  nextDeadline: () => null,
};
