import { fail, type Outcome, ok } from "../errors";
import {
  admit,
  closeTransition,
  ENTITY_POOLS,
  type Entity,
  type EntityKind,
  type EntityPool,
  type EntityStatus,
  isAccessible,
  type LeadOutcome,
  type PoolState,
  type PoolView,
  poolOf,
  poolView,
  release,
  reopenTransition,
  settlePool,
  unblockedEvent,
} from "../policy/entities";
import { type Episode, episodeDeadline, OK } from "../policy/episode";
import type { PolicyEvent } from "../policy/events";
import { type Instant, iso } from "../policy/time";
import type { WorkspaceContext } from "./context";
import type { Domain } from "./domains";
import { recordEvents } from "./events";
import type { Migration, Store } from "./store";

/**
 * Built for a million entities in one object: one narrow row per entity keyed by (kind, id)
 * without a rowid, the blocked ones also queued by pool in block order (so unblocking oldest
 * first is an indexed range read), and each pool's figures kept as counters in a two-row table.
 * No call counts or scans rows.
 */
const migrations: Migration[] = [
  {
    name: "entities_v1",
    statements: [
      `CREATE TABLE entities (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        seq INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) WITHOUT ROWID`,
      `CREATE TABLE entity_blocked (
        pool TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        PRIMARY KEY (pool, seq)
      ) WITHOUT ROWID`,
      `CREATE TABLE entity_pools (
        pool TEXT PRIMARY KEY,
        counted INTEGER NOT NULL,
        blocked INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        episode TEXT NOT NULL
      )`,
      ...ENTITY_POOLS.map(
        (pool) =>
          `INSERT INTO entity_pools (pool, counted, blocked, last_seq, episode)
           VALUES ('${pool}', 0, 0, 0, '${JSON.stringify(OK)}')`,
      ),
    ],
  },
];

/** Unblocking a large backlog (a big seat increase) reads the queue in pages of this many. */
const UNBLOCK_PAGE = 500;

/** The lookups every call makes; exported so a test can check each is an index search. */
export const LOOKUPS = {
  entity:
    "SELECT kind, id, status, outcome, seq, updated_at FROM entities WHERE kind = ? AND id = ?",
  pool: "SELECT counted, blocked, last_seq, episode FROM entity_pools WHERE pool = ?",
  oldestBlocked: "SELECT seq, kind, id FROM entity_blocked WHERE pool = ? ORDER BY seq LIMIT ?",
} as const;

interface EntityRow {
  kind: EntityKind;
  id: string;
  status: EntityStatus;
  outcome: LeadOutcome | null;
  seq: number;
  updated_at: Instant;
}

interface Pool {
  state: PoolState;
  /** The create/reopen order last handed out: blocked entities are unblocked in this order. */
  lastSeq: number;
}

const limitOf = (ctx: WorkspaceContext, pool: EntityPool): number =>
  pool === "leads" ? ctx.limits.leads : ctx.limits.contactsAndCompanies;

function loadPool(store: Store, pool: EntityPool): Pool {
  const row = store.one<{ counted: number; blocked: number; last_seq: number; episode: string }>(
    LOOKUPS.pool,
    pool,
  );
  if (row === undefined) throw new Error(`entity pool ${pool} is missing`);
  return {
    state: {
      counted: row.counted,
      blocked: row.blocked,
      episode: JSON.parse(row.episode) as Episode,
    },
    lastSeq: row.last_seq,
  };
}

function savePool(store: Store, pool: EntityPool, { state, lastSeq }: Pool): void {
  store.run(
    "UPDATE entity_pools SET counted = ?, blocked = ?, last_seq = ?, episode = ? WHERE pool = ?",
    state.counted,
    state.blocked,
    lastSeq,
    JSON.stringify(state.episode),
    pool,
  );
}

const findEntity = (store: Store, kind: EntityKind, id: string): EntityRow | undefined =>
  store.one<EntityRow>(LOOKUPS.entity, kind, id);

const SINGULAR: Record<EntityKind, string> = {
  leads: "lead",
  contacts: "contact",
  companies: "company",
};

const notFound = (kind: EntityKind, id: string) =>
  fail<never>("not_found", `No ${SINGULAR[kind]} with id ${JSON.stringify(id)} in this workspace.`);

/** Moves the `count` oldest blocked entities of a pool to active; answers their events. */
function unblockOldest(store: Store, pool: EntityPool, count: number, now: Instant): PolicyEvent[] {
  const events: PolicyEvent[] = [];
  let left = count;
  while (left > 0) {
    const page = store.all<{ seq: number; kind: EntityKind; id: string }>(
      LOOKUPS.oldestBlocked,
      pool,
      Math.min(left, UNBLOCK_PAGE),
    );
    const last = page.at(-1);
    // The counter and the queue change in the same transactions; a gap is a bug, not a state.
    if (last === undefined) throw new Error(`entity pool ${pool}: blocked counter exceeds queue`);
    for (const entity of page) {
      store.run(
        "UPDATE entities SET status = 'active', updated_at = ? WHERE kind = ? AND id = ?",
        now,
        entity.kind,
        entity.id,
      );
      events.push(unblockedEvent(entity));
    }
    store.run("DELETE FROM entity_blocked WHERE pool = ? AND seq <= ?", pool, last.seq);
    left -= page.length;
  }
  return events;
}

/** Applies what is due for one pool at ctx.now; answers the pool as it stands afterwards. */
function settleOne(ctx: WorkspaceContext, pool: EntityPool): Pool {
  const loaded = loadPool(ctx.store, pool);
  const settled = settlePool(pool, loaded.state, limitOf(ctx, pool), ctx.now);
  if (settled.unblock === 0 && settled.events.length === 0) return loaded;
  const unblocked = unblockOldest(ctx.store, pool, settled.unblock, ctx.now);
  const next = { ...loaded, state: settled.state };
  savePool(ctx.store, pool, next);
  recordEvents(ctx.store, [...unblocked, ...settled.events], ctx.now);
  return next;
}

/** Takes a closed or deleted entity out of its pool's figures and, if blocked, out of the queue. */
function leave(ctx: WorkspaceContext, entity: EntityRow): void {
  const pool = poolOf(entity.kind);
  const loaded = loadPool(ctx.store, pool);
  if (entity.status === "blocked") {
    ctx.store.run("DELETE FROM entity_blocked WHERE pool = ? AND seq = ?", pool, entity.seq);
  }
  savePool(ctx.store, pool, { ...loaded, state: release(loaded.state, entity.status) });
}

/**
 * Decides a new or reopened entity and writes it with a fresh order number (the order in which
 * blocked ones are unblocked).
 */
function admitEntity(ctx: WorkspaceContext, kind: EntityKind, id: string, isNew: boolean) {
  const pool = poolOf(kind);
  const loaded = loadPool(ctx.store, pool);
  const admission = admit({ kind, id }, loaded.state, limitOf(ctx, pool), ctx.now);
  const seq = loaded.lastSeq + 1;
  if (isNew) {
    ctx.store.run(
      "INSERT INTO entities (kind, id, status, outcome, seq, updated_at) VALUES (?, ?, ?, NULL, ?, ?)",
      kind,
      id,
      admission.status,
      seq,
      ctx.now,
    );
  } else {
    ctx.store.run(
      "UPDATE entities SET status = ?, outcome = NULL, seq = ?, updated_at = ? WHERE kind = ? AND id = ?",
      admission.status,
      seq,
      ctx.now,
      kind,
      id,
    );
  }
  if (admission.status === "blocked") {
    ctx.store.run(
      "INSERT INTO entity_blocked (pool, seq, kind, id) VALUES (?, ?, ?, ?)",
      pool,
      seq,
      kind,
      id,
    );
  }
  const next = { state: admission.state, lastSeq: seq };
  savePool(ctx.store, pool, next);
  recordEvents(ctx.store, admission.events, ctx.now);
  const row: EntityRow = {
    kind,
    id,
    status: admission.status,
    outcome: null,
    seq,
    updated_at: ctx.now,
  };
  return { row, pool: next };
}

// ---- views -----------------------------------------------------------------------------------

function entityView(row: EntityRow) {
  const entity: Entity = row;
  return {
    kind: entity.kind,
    id: entity.id,
    status: entity.status,
    accessible: isAccessible(entity.status),
    outcome: entity.outcome,
    updatedAt: iso(row.updated_at),
  };
}
export type EntityView = ReturnType<typeof entityView>;

export interface EntityChange extends EntityView {
  /** False when the call found the entity already in the state it asked for (a repeat). */
  changed: boolean;
  /** Present while this entity's limit is in its 24-hour grace. */
  grace?: { endsAt: string };
  /** The entity's limit after the call (leads, or contacts and companies together). */
  usage: PoolView;
}

function changeView(
  ctx: WorkspaceContext,
  row: EntityRow,
  pool: Pool,
  changed: boolean,
): EntityChange {
  const usage = poolView(pool.state, limitOf(ctx, poolOf(row.kind)), ctx.now);
  const grace =
    usage.state === "grace" && usage.graceEndsAt !== null
      ? { grace: { endsAt: usage.graceEndsAt } }
      : {};
  return { ...entityView(row), changed, ...grace, usage };
}

/** One limit as GET usage shows it, evaluated lazily at ctx.now. */
export function entityUsage(ctx: WorkspaceContext, pool: EntityPool): PoolView {
  return poolView(loadPool(ctx.store, pool).state, limitOf(ctx, pool), ctx.now);
}

// ---- operations ------------------------------------------------------------------------------

/** A repeated create answers the entity as it is and counts nothing twice. */
export function createEntity(
  ctx: WorkspaceContext,
  kind: EntityKind,
  id: string,
): Outcome<EntityChange> {
  const existing = findEntity(ctx.store, kind, id);
  if (existing !== undefined) {
    return ok(changeView(ctx, existing, loadPool(ctx.store, poolOf(kind)), false));
  }
  const { row, pool } = admitEntity(ctx, kind, id, true);
  return ok(changeView(ctx, row, pool, true));
}

export function closeLead(
  ctx: WorkspaceContext,
  id: string,
  outcome: LeadOutcome,
): Outcome<EntityChange> {
  const lead = findEntity(ctx.store, "leads", id);
  if (lead === undefined) return notFound("leads", id);
  if (closeTransition(lead, outcome).kind === "unchanged") {
    return ok(changeView(ctx, lead, loadPool(ctx.store, "leads"), false));
  }
  leave(ctx, lead);
  ctx.store.run(
    "UPDATE entities SET status = 'closed', outcome = ?, updated_at = ? WHERE kind = 'leads' AND id = ?",
    outcome,
    ctx.now,
    id,
  );
  // The freed slot goes to the oldest blocked lead at once, so the answer shows it.
  const pool = settleOne(ctx, "leads");
  const row: EntityRow = { ...lead, status: "closed", outcome, updated_at: ctx.now };
  return ok(changeView(ctx, row, pool, true));
}

export function reopenLead(ctx: WorkspaceContext, id: string): Outcome<EntityChange> {
  const lead = findEntity(ctx.store, "leads", id);
  if (lead === undefined) return notFound("leads", id);
  if (reopenTransition(lead).kind === "unchanged") {
    return ok(changeView(ctx, lead, loadPool(ctx.store, "leads"), false));
  }
  const { row, pool } = admitEntity(ctx, "leads", id, false);
  return ok(changeView(ctx, row, pool, true));
}

export interface EntityDeletion {
  kind: EntityKind;
  id: string;
  deleted: true;
  usage: PoolView;
}

export function deleteEntity(
  ctx: WorkspaceContext,
  kind: EntityKind,
  id: string,
): Outcome<EntityDeletion> {
  const entity = findEntity(ctx.store, kind, id);
  if (entity === undefined) return notFound(kind, id);
  leave(ctx, entity);
  ctx.store.run("DELETE FROM entities WHERE kind = ? AND id = ?", kind, id);
  const pool = poolOf(kind);
  const settled = settleOne(ctx, pool);
  return ok({
    kind,
    id,
    deleted: true,
    usage: poolView(settled.state, limitOf(ctx, pool), ctx.now),
  });
}

export function readEntity(
  ctx: WorkspaceContext,
  kind: EntityKind,
  id: string,
): Outcome<EntityView> {
  const entity = findEntity(ctx.store, kind, id);
  return entity === undefined ? notFound(kind, id) : ok(entityView(entity));
}

export const entitiesDomain: Domain = {
  migrations,
  settle(ctx) {
    for (const pool of ENTITY_POOLS) settleOne(ctx, pool);
  },
  nextDeadline(ctx) {
    let earliest: Instant | null = null;
    for (const pool of ENTITY_POOLS) {
      const at = episodeDeadline(loadPool(ctx.store, pool).state.episode);
      if (at !== null && (earliest === null || at < earliest)) earliest = at;
    }
    return earliest;
  },
};
