import { type Episode, type EpisodeLimit, phaseAt, stepEpisode } from "./episode";
import type { PolicyEvent } from "./events";
import { type Instant, iso } from "./time";

/**
 * Leads, contacts and companies (PRODUCT.md §4). Two independent limits ("pools"): leads, and
 * contacts and companies together. Incoming entities are never refused: each gets a status.
 */
export const ENTITY_KINDS = ["leads", "contacts", "companies"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const ENTITY_POOLS = ["leads", "contactsAndCompanies"] as const;
export type EntityPool = (typeof ENTITY_POOLS)[number] & EpisodeLimit;

export const poolOf = (kind: EntityKind): EntityPool =>
  kind === "leads" ? "leads" : "contactsAndCompanies";

export const ENTITY_STATUSES = ["active", "blocked", "closed"] as const;
export type EntityStatus = (typeof ENTITY_STATUSES)[number];

export const LEAD_OUTCOMES = ["won", "lost"] as const;
export type LeadOutcome = (typeof LEAD_OUTCOMES)[number];

/** Blocked entities are visible but their data, chats and automations are not. */
export const isAccessible = (status: EntityStatus): boolean => status !== "blocked";

/** One limit's counters: `counted` = active entities (the ones that count), `blocked` waiting. */
export interface PoolState {
  counted: number;
  blocked: number;
  episode: Episode;
}

export interface Entity {
  kind: EntityKind;
  id: string;
  status: EntityStatus;
  outcome: LeadOutcome | null;
}

const figures = (state: PoolState, limit: number) => ({
  used: state.counted,
  max: limit,
  blocked: state.blocked,
});

const entityEvent = (
  type: "entity.blocked" | "entity.unblocked",
  entity: { kind: EntityKind; id: string },
  extra: Record<string, unknown> = {},
): PolicyEvent => ({
  type,
  data: { kind: entity.kind, id: entity.id, limit: poolOf(entity.kind), ...extra },
});

export interface Settlement {
  state: PoolState;
  /** How many blocked entities to unblock, oldest first, before anything else happens. */
  unblock: number;
  events: PolicyEvent[];
}

/**
 * Reconciles a pool with its current limit at `now`: blocked entities take freed capacity
 * (oldest first) while count < limit, then the episode advances (grace end → enforcement,
 * count < limit → resolved). Idempotent: settling a settled pool changes nothing.
 */
export function settlePool(
  pool: EntityPool,
  state: PoolState,
  limit: number,
  now: Instant,
): Settlement {
  const unblock = Math.min(state.blocked, Math.max(0, limit - state.counted));
  const next = { ...state, counted: state.counted + unblock, blocked: state.blocked - unblock };
  const step = stepEpisode(next.episode, pool, next.counted >= limit, now, figures(next, limit));
  return { state: { ...next, episode: step.episode }, unblock, events: step.events };
}

export interface Admission {
  status: "active" | "blocked";
  state: PoolState;
  events: PolicyEvent[];
}

/**
 * Decides a new or reopened entity. Under enforcement (grace over, count still ≥ limit) it is
 * blocked and not counted; otherwise it is active and counted, and the create that brings the
 * count to the limit starts the grace. Expects a settled pool (no unblockable entities).
 */
export function admit(
  entity: { kind: EntityKind; id: string },
  state: PoolState,
  limit: number,
  now: Instant,
): Admission {
  const pool = poolOf(entity.kind);
  // A grace that lapsed since the last settle is enforced before this entity is decided.
  const before = stepEpisode(
    state.episode,
    pool,
    state.counted >= limit,
    now,
    figures(state, limit),
  );
  if (before.episode.phase === "enforced") {
    const next = { ...state, blocked: state.blocked + 1, episode: before.episode };
    return {
      status: "blocked",
      state: next,
      events: [
        ...before.events,
        entityEvent("entity.blocked", entity, { used: next.counted, max: limit }),
      ],
    };
  }
  const counted = { ...state, counted: state.counted + 1, episode: before.episode };
  const after = stepEpisode(counted.episode, pool, counted.counted >= limit, now, {
    ...figures(counted, limit),
    kind: entity.kind,
    id: entity.id,
  });
  return {
    status: "active",
    state: { ...counted, episode: after.episode },
    events: [...before.events, ...after.events],
  };
}

/** An entity leaves the pool's figures (closed or deleted): it stops counting or waiting. */
export function release(state: PoolState, status: EntityStatus): PoolState {
  if (status === "active") return { ...state, counted: state.counted - 1 };
  if (status === "blocked") return { ...state, blocked: state.blocked - 1 };
  return state;
}

export const unblockedEvent = (entity: { kind: EntityKind; id: string }): PolicyEvent =>
  entityEvent("entity.unblocked", entity);

export type Transition =
  | { kind: "unchanged" }
  | { kind: "admit" }
  | { kind: "close"; outcome: LeadOutcome };

/**
 * Closing stops a lead counting, whatever its status: a blocked lead that is closed leaves the
 * queue, since a closed lead never counts and so has nothing left to enforce. Closing a closed
 * lead only changes its outcome.
 */
export function closeTransition(entity: Entity, outcome: LeadOutcome): Transition {
  return entity.status === "closed" && entity.outcome === outcome
    ? { kind: "unchanged" }
    : { kind: "close", outcome };
}

/** Reopening counts again, decided like a create; an open lead (active or blocked) is left as is. */
export const reopenTransition = (entity: Entity): Transition =>
  entity.status === "closed" ? { kind: "admit" } : { kind: "unchanged" };

export type UsageState = "ok" | "grace" | "enforced";

/** A pool as readers see it at `now`: a lapsed grace reads as enforced without being applied. */
export function poolView(state: PoolState, limit: number, now: Instant) {
  const phase: UsageState = phaseAt(state.episode, now);
  return {
    used: state.counted,
    limit,
    blocked: state.blocked,
    state: phase,
    graceEndsAt: state.episode.phase === "ok" ? null : iso(state.episode.graceEndsAt),
  };
}
export type PoolView = ReturnType<typeof poolView>;
