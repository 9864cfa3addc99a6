import { assert, isCount } from "./assert";
import { type Episode, type EpisodeLimit, phaseAt, stepEpisode } from "./episode";
import type { PolicyEvent } from "./events";
import { type Instant, iso } from "./time";

/**
 * Leads, contacts and companies (docs/rules.md, "Leads, contacts and companies"). Two independent
 * limits ("pools"): leads, and contacts and companies together. Incoming entities are never
 * refused: each gets a status.
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

/** What holds of every pool's figures: whole counts, never negative, against a whole limit. */
function assertPool(state: PoolState, limit: number): void {
  assert(
    isCount(state.counted) && isCount(state.blocked),
    "a pool's counted and blocked are whole and never negative",
  );
  assert(isCount(limit), "an entity limit is a whole number");
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
  /**
   * How many active entities to block, the most recently created or reopened first: the ones
   * beyond the limit once it is enforced. Already taken out of `counted` and into `blocked`.
   */
  block: number;
  /** When enforcement began, if it began now: the instant the blocks are dated. */
  enforcedAt: Instant | null;
  events: PolicyEvent[];
}

/**
 * Reconciles a pool with its current limit at `now`: blocked entities take freed capacity
 * (oldest first) while count < limit, then the episode advances (grace end → enforcement,
 * count < limit → resolved), and under enforcement the entities beyond the limit are blocked
 * so the count equals the limit: a flood during a grace does not stay accessible after it
 * (docs/rules.md, "Leads, contacts and companies"). Idempotent: settling a settled pool changes
 * nothing.
 */
export function settlePool(
  pool: EntityPool,
  state: PoolState,
  limit: number,
  now: Instant,
): Settlement {
  assertPool(state, limit);
  const unblock = Math.min(state.blocked, Math.max(0, limit - state.counted));
  const freed = { ...state, counted: state.counted + unblock, blocked: state.blocked - unblock };
  const step = stepEpisode(freed.episode, pool, {
    breached: freed.counted >= limit,
    limit,
    now,
    figures: (type) =>
      type === "limit.enforced"
        ? figures(
            {
              ...freed,
              counted: Math.min(freed.counted, limit),
              blocked: freed.blocked + Math.max(0, freed.counted - limit),
            },
            limit,
          )
        : figures(freed, limit),
  });
  const block = step.episode.phase === "enforced" ? Math.max(0, freed.counted - limit) : 0;
  const settled: PoolState = {
    counted: freed.counted - block,
    blocked: freed.blocked + block,
    episode: step.episode,
  };
  assertPool(settled, limit);
  // Settling moves entities between counted and blocked, never in or out of the pool.
  assert(
    settled.counted + settled.blocked === state.counted + state.blocked,
    "settling neither adds nor loses entities",
  );
  assert(
    settled.episode.phase !== "enforced" || settled.counted <= limit,
    "under enforcement no more entities count than the limit",
  );
  assert(unblock === 0 || block === 0, "a settlement does not unblock and block at once");
  return {
    state: settled,
    unblock,
    block,
    enforcedAt: step.enforcedAt,
    events: step.events,
  };
}

export interface Admission {
  status: "active" | "blocked";
  state: PoolState;
  events: PolicyEvent[];
}

/**
 * Decides a new or reopened entity on a pool settled at `now`. Under enforcement it is blocked
 * and not counted; otherwise it is active and counted, and the create that brings the count to
 * the limit starts the episode: a 24-hour grace, or none when the last episode ended by the
 * count going down less than a week ago (it is enforced at once if that grace end has passed;
 * this entity, the one that reaches the limit, is within it and stays active).
 */
export function admit(
  entity: { kind: EntityKind; id: string },
  state: PoolState,
  limit: number,
  now: Instant,
): Admission {
  const pool = poolOf(entity.kind);
  assertPool(state, limit);
  if (phaseAt(state.episode, now) === "enforced") {
    // Blocked, so it does not count: the counted figure stays as it was.
    const next = { ...state, blocked: state.blocked + 1 };
    return {
      status: "blocked",
      state: next,
      events: [entityEvent("entity.blocked", entity, { used: next.counted, max: limit })],
    };
  }
  const counted = { ...state, counted: state.counted + 1 };
  const after = stepEpisode(counted.episode, pool, {
    breached: counted.counted >= limit,
    limit,
    now,
    figures: () => ({ ...figures(counted, limit), kind: entity.kind, id: entity.id }),
  });
  return {
    status: "active",
    state: { ...counted, episode: after.episode },
    events: after.events,
  };
}

/** An entity leaves the pool's figures (closed or deleted): it stops counting or waiting. */
export function release(state: PoolState, status: EntityStatus): PoolState {
  assert(
    (status !== "active" || state.counted > 0) && (status !== "blocked" || state.blocked > 0),
    "an entity leaves a pool that counts it: counts never go negative",
  );
  if (status === "active") return { ...state, counted: state.counted - 1 };
  if (status === "blocked") return { ...state, blocked: state.blocked - 1 };
  return state;
}

export const blockedEvent = (
  entity: { kind: EntityKind; id: string },
  figures: { used: number; max: number },
  at: Instant,
): PolicyEvent => ({ ...entityEvent("entity.blocked", entity, figures), at });

export const unblockedEvent = (entity: { kind: EntityKind; id: string }): PolicyEvent =>
  entityEvent("entity.unblocked", entity);

export type Transition =
  | { kind: "unchanged" }
  | { kind: "admit" }
  | { kind: "close"; outcome: LeadOutcome }
  /** A blocked lead's data is not accessible, so no stage change can be made on it (409). */
  | { kind: "blocked" };

/** Closing stops a lead counting; closing a closed lead only changes its outcome. */
export function closeTransition(entity: Entity, outcome: LeadOutcome): Transition {
  if (entity.status === "blocked") return { kind: "blocked" };
  return entity.status === "closed" && entity.outcome === outcome
    ? { kind: "unchanged" }
    : { kind: "close", outcome };
}

/** Reopening counts again, decided like a create; an active lead is left as is. */
export function reopenTransition(entity: Entity): Transition {
  if (entity.status === "blocked") return { kind: "blocked" };
  return entity.status === "closed" ? { kind: "admit" } : { kind: "unchanged" };
}

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
