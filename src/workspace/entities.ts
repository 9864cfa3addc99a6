import { fail, type Outcome, ok } from "../outcome";
import {
  admit,
  blockedEvent,
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
  type Settlement,
  settlePool,
  unblockedEvent,
} from "../policy/entities";
import { type Episode, episodeChanged, episodeDeadline, OK } from "../policy/episode";
import type { PolicyEvent } from "../policy/events";
import { earliest, type Instant, iso } from "../policy/time";
import type { Migration, Store } from "../storage";
import type { WorkspaceContext } from "./context";
import type { Domain } from "./domain";
import { recordEvents } from "./events";

/**
 * Built for a million entities in one object: one narrow row per entity keyed by (kind, id)
 * without a rowid, indexed by pool, status and create/reopen order (so "oldest blocked" and
 * "newest active" are indexed range reads), and each pool's figures kept as counters in a
 * two-row table. No call counts or scans rows.
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
  {
    // Enforcement blocks the newest active entities of a pool, so rows are indexed by pool and
    // status in create/reopen order; the same index serves the blocked queue (oldest first),
    // which replaces the separate queue table. `blocking` holds an enforcement still being
    // applied in batches (see Blocking).
    name: "entities_v2_pool_order",
    statements: [
      `ALTER TABLE entities ADD COLUMN pool TEXT GENERATED ALWAYS AS
         (CASE kind WHEN 'leads' THEN 'leads' ELSE 'contactsAndCompanies' END) VIRTUAL`,
      "CREATE INDEX entities_by_pool ON entities (pool, status, seq)",
      "DROP TABLE entity_blocked",
      "ALTER TABLE entity_pools ADD COLUMN blocking TEXT",
    ],
  },
];

/** Unblocking a large backlog (a big seat increase) reads the queue in pages of this many. */
const UNBLOCK_PAGE = 500;

/**
 * At most this many blocks are applied per call: an enforcement over a large excess (a million
 * leads imported during a grace) is applied over several calls and alarms, while every answer
 * already treats the rest as blocked (see Blocking).
 */
export const BLOCK_BATCH = 1_000;

const ROW = "kind, id, status, outcome, seq, updated_at";

/** The lookups every call makes; exported so a test can check each is an index search. */
export const LOOKUPS = {
  entity: `SELECT ${ROW} FROM entities WHERE kind = ? AND id = ?`,
  pool: "SELECT counted, blocked, last_seq, episode, blocking FROM entity_pools WHERE pool = ?",
  oldestBlocked: `SELECT ${ROW} FROM entities WHERE pool = ? AND status = 'blocked' ORDER BY seq LIMIT ?`,
  newestPending: `SELECT ${ROW} FROM entities
    WHERE pool = ? AND status = 'active' AND seq > ? ORDER BY seq DESC LIMIT ?`,
  nthNewestActive: `SELECT seq FROM entities
    WHERE pool = ? AND status = 'active' AND seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?`,
  nthOldestActive: `SELECT seq FROM entities
    WHERE pool = ? AND status = 'active' AND seq <= ? ORDER BY seq LIMIT 1 OFFSET ?`,
  nthOldestPending: `SELECT seq FROM entities
    WHERE pool = ? AND status = 'active' AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?`,
} as const;

interface EntityRow {
  kind: EntityKind;
  id: string;
  status: EntityStatus;
  outcome: LeadOutcome | null;
  seq: number;
  updated_at: Instant;
}

/**
 * An enforcement being applied: every entity of the pool still stored `active` with an order
 * number above `aboveSeq` is blocked (the newest ones, beyond the limit), `left` of them, as of
 * `at`. Batches mark them blocked newest first; answers read them as blocked meanwhile, so a
 * decision never depends on how far the batches got.
 */
interface Blocking {
  aboveSeq: number;
  left: number;
  at: Instant;
}

interface Pool {
  /** The pool's figures as decided: `counted` and `blocked` include blocks not yet applied. */
  state: PoolState;
  /** The create/reopen order last handed out: blocked entities are unblocked in this order. */
  lastSeq: number;
  blocking: Blocking | null;
}

const limitOf = (ctx: WorkspaceContext, pool: EntityPool): number =>
  pool === "leads" ? ctx.limits.leads : ctx.limits.contactsAndCompanies;

function loadPool(store: Store, pool: EntityPool): Pool {
  const row = store.one<{
    counted: number;
    blocked: number;
    last_seq: number;
    episode: string;
    blocking: string | null;
  }>(LOOKUPS.pool, pool);
  if (row === undefined) throw new Error(`entity pool ${pool} is missing`);
  return {
    state: {
      counted: row.counted,
      blocked: row.blocked,
      episode: JSON.parse(row.episode) as Episode,
    },
    lastSeq: row.last_seq,
    blocking: row.blocking === null ? null : (JSON.parse(row.blocking) as Blocking),
  };
}

function savePool(store: Store, pool: EntityPool, { state, lastSeq, blocking }: Pool): void {
  store.run(
    `UPDATE entity_pools SET counted = ?, blocked = ?, last_seq = ?, episode = ?, blocking = ?
     WHERE pool = ?`,
    state.counted,
    state.blocked,
    lastSeq,
    JSON.stringify(state.episode),
    blocking === null ? null : JSON.stringify(blocking),
    pool,
  );
}

const findEntity = (store: Store, kind: EntityKind, id: string): EntityRow | undefined =>
  store.one<EntityRow>(LOOKUPS.entity, kind, id);

/** A stored row as decided: one an enforcement blocks but no batch reached yet is blocked. */
function decided(row: EntityRow, blocking: Blocking | null): EntityRow {
  const pending = blocking !== null && row.status === "active" && row.seq > blocking.aboveSeq;
  return pending ? { ...row, status: "blocked", updated_at: blocking.at } : row;
}

const SINGULAR: Record<EntityKind, string> = {
  leads: "lead",
  contacts: "contact",
  companies: "company",
};

const notFound = (kind: EntityKind, id: string) =>
  fail<never>("not_found", `No ${SINGULAR[kind]} with id ${JSON.stringify(id)} in this workspace.`);

const blockedLead = (id: string) =>
  fail<never>(
    "entity_blocked",
    `Lead ${JSON.stringify(id)} is blocked by the leads limit: its data is not accessible, so it cannot be closed or reopened. Free capacity (close or delete other leads, or raise the limit) to unblock it, or delete it.`,
  );

/** Moves the `count` oldest blocked entities of a pool to active; answers their events. */
function unblockOldest(store: Store, pool: EntityPool, count: number, now: Instant): PolicyEvent[] {
  const events: PolicyEvent[] = [];
  let left = count;
  while (left > 0) {
    const page = store.all<EntityRow>(LOOKUPS.oldestBlocked, pool, Math.min(left, UNBLOCK_PAGE));
    // The counter and the rows change in the same transactions; a gap is a bug, not a state.
    if (page.length === 0) throw new Error(`entity pool ${pool}: blocked counter exceeds rows`);
    for (const entity of page) {
      store.run(
        "UPDATE entities SET status = 'active', updated_at = ? WHERE kind = ? AND id = ?",
        now,
        entity.kind,
        entity.id,
      );
      events.push(unblockedEvent(entity));
    }
    left -= page.length;
  }
  return events;
}

/**
 * The order number at or below which `keep` entities stay active when the `block` newest of the
 * active ones at or below `aboveSeq` are blocked; read from whichever end is nearer.
 */
function cutoffSeq(
  store: Store,
  pool: EntityPool,
  aboveSeq: number,
  keep: number,
  block: number,
): number {
  if (keep === 0) return 0;
  const row =
    block <= keep
      ? store.one<{ seq: number }>(LOOKUPS.nthNewestActive, pool, aboveSeq, block)
      : store.one<{ seq: number }>(LOOKUPS.nthOldestActive, pool, aboveSeq, keep - 1);
  if (row === undefined) throw new Error(`entity pool ${pool}: counted exceeds rows`);
  return row.seq;
}

/**
 * Where a pool's enforcement stands once `settled` is decided: the blocks it adds join the
 * pending ones (blocked rows are always the newest open ones, so the cutoff only moves down),
 * and freed capacity goes first to the oldest pending ones. Reads only.
 */
function nextBlocking(
  store: Store,
  pool: EntityPool,
  loaded: Pool,
  settled: Settlement,
  now: Instant,
): { blocking: Blocking | null; unblockStored: number } {
  let blocking = loaded.blocking;
  let unblockStored = settled.unblock;
  if (blocking !== null && settled.unblock > 0) {
    // The oldest blocked are the pending ones: give them the freed places by moving the cutoff.
    const freed = Math.min(settled.unblock, blocking.left);
    unblockStored -= freed;
    if (freed === blocking.left) blocking = null;
    else {
      const row = store.one<{ seq: number }>(
        LOOKUPS.nthOldestPending,
        pool,
        blocking.aboveSeq,
        freed - 1,
      );
      if (row === undefined) throw new Error(`entity pool ${pool}: pending exceeds rows`);
      blocking = { ...blocking, aboveSeq: row.seq, left: blocking.left - freed };
    }
  }
  if (settled.block > 0) {
    const above = blocking?.aboveSeq ?? loaded.lastSeq;
    blocking = {
      aboveSeq: cutoffSeq(store, pool, above, settled.state.counted, settled.block),
      left: (blocking?.left ?? 0) + settled.block,
      at: blocking === null ? (settled.enforcedAt ?? now) : now,
    };
  }
  return { blocking, unblockStored };
}

/** Marks up to BLOCK_BATCH pending entities blocked, newest first; answers their events. */
function applyBlocks(
  store: Store,
  pool: EntityPool,
  blocking: Blocking,
  figures: { used: number; max: number },
): { blocking: Blocking | null; events: PolicyEvent[] } {
  const rows = store.all<EntityRow>(
    LOOKUPS.newestPending,
    pool,
    blocking.aboveSeq,
    Math.min(blocking.left, BLOCK_BATCH),
  );
  if (rows.length === 0) throw new Error(`entity pool ${pool}: pending exceeds rows`);
  for (const row of rows) {
    store.run(
      "UPDATE entities SET status = 'blocked', updated_at = ? WHERE kind = ? AND id = ?",
      blocking.at,
      row.kind,
      row.id,
    );
  }
  const left = blocking.left - rows.length;
  return {
    blocking: left === 0 ? null : { ...blocking, left },
    events: rows.map((row) => blockedEvent(row, figures, blocking.at)),
  };
}

/**
 * Applies what is due for one pool at ctx.now (unblocking, episode steps, one batch of blocks)
 * and answers the pool as it stands afterwards.
 */
function settleOne(ctx: WorkspaceContext, pool: EntityPool): Pool {
  const { store, now } = ctx;
  const limit = limitOf(ctx, pool);
  const loaded = loadPool(store, pool);
  const settled = settlePool(pool, loaded.state, limit, now);
  const quiet =
    settled.unblock === 0 &&
    settled.block === 0 &&
    settled.events.length === 0 &&
    loaded.blocking === null;
  if (quiet && !episodeChanged(loaded.state.episode, settled.state.episode)) return loaded;
  const { blocking, unblockStored } = nextBlocking(store, pool, loaded, settled, now);
  const events = [...unblockOldest(store, pool, unblockStored, now), ...settled.events];
  let next: Pool = { ...loaded, state: settled.state, blocking };
  if (blocking !== null) {
    const figures = { used: settled.state.counted, max: limit };
    const applied = applyBlocks(store, pool, blocking, figures);
    events.push(...applied.events);
    next = { ...next, blocking: applied.blocking };
  }
  savePool(store, pool, next);
  recordEvents(store, events, now);
  return next;
}

/**
 * A pool as a reader sees it at ctx.now, without writing: a grace that lapsed since the last
 * call reads as enforced, with the entities beyond the limit already blocked.
 */
function readPool(ctx: WorkspaceContext, pool: EntityPool): Pool {
  const loaded = loadPool(ctx.store, pool);
  const { episode } = loaded.state;
  if (episode.phase !== "grace" || ctx.now < episode.graceEndsAt) return loaded;
  const settled = settlePool(pool, loaded.state, limitOf(ctx, pool), ctx.now);
  const { blocking } = nextBlocking(ctx.store, pool, loaded, settled, ctx.now);
  return { ...loaded, state: settled.state, blocking };
}

/** Takes a closed or deleted entity out of its pool's figures (a pending block included). */
function leave(ctx: WorkspaceContext, stored: EntityRow): void {
  const pool = poolOf(stored.kind);
  const loaded = loadPool(ctx.store, pool);
  const entity = decided(stored, loaded.blocking);
  let { blocking } = loaded;
  if (blocking !== null && entity.status !== stored.status) {
    blocking = blocking.left === 1 ? null : { ...blocking, left: blocking.left - 1 };
  }
  savePool(ctx.store, pool, { ...loaded, state: release(loaded.state, entity.status), blocking });
}

/**
 * Decides a new or reopened entity and writes it with a fresh order number (the order in which
 * blocked ones are unblocked, and the newest blocked first at enforcement).
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
  const next: Pool = { ...loaded, state: admission.state, lastSeq: seq };
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
  stored: EntityRow,
  pool: Pool,
  changed: boolean,
): EntityChange {
  const usage = poolView(pool.state, limitOf(ctx, poolOf(stored.kind)), ctx.now);
  const grace =
    usage.state === "grace" && usage.graceEndsAt !== null
      ? { grace: { endsAt: usage.graceEndsAt } }
      : {};
  return { ...entityView(decided(stored, pool.blocking)), changed, ...grace, usage };
}

/** One limit as GET usage shows it, evaluated lazily at ctx.now. */
export function entityUsage(ctx: WorkspaceContext, pool: EntityPool): PoolView {
  return poolView(readPool(ctx, pool).state, limitOf(ctx, pool), ctx.now);
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
  const stored = findEntity(ctx.store, "leads", id);
  if (stored === undefined) return notFound("leads", id);
  const lead = decided(stored, loadPool(ctx.store, "leads").blocking);
  const transition = closeTransition(lead, outcome);
  if (transition.kind === "blocked") return blockedLead(id);
  if (transition.kind === "unchanged") {
    return ok(changeView(ctx, lead, loadPool(ctx.store, "leads"), false));
  }
  leave(ctx, stored);
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
  const stored = findEntity(ctx.store, "leads", id);
  if (stored === undefined) return notFound("leads", id);
  const pool = loadPool(ctx.store, "leads");
  const transition = reopenTransition(decided(stored, pool.blocking));
  if (transition.kind === "blocked") return blockedLead(id);
  if (transition.kind === "unchanged") return ok(changeView(ctx, stored, pool, false));
  const { row, pool: next } = admitEntity(ctx, "leads", id, false);
  return ok(changeView(ctx, row, next, true));
}

export interface EntityDeletion {
  kind: EntityKind;
  id: string;
  deleted: true;
  usage: PoolView;
}

/** Deleting is always possible, a blocked entity included: it stops counting or waiting. */
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
  if (entity === undefined) return notFound(kind, id);
  return ok(entityView(decided(entity, readPool(ctx, poolOf(kind)).blocking)));
}

export const entitiesDomain: Domain = {
  migrations,
  settle(ctx) {
    for (const pool of ENTITY_POOLS) settleOne(ctx, pool);
  },
  nextDeadline(ctx) {
    return earliest(
      ...ENTITY_POOLS.map((pool) => {
        const loaded = loadPool(ctx.store, pool);
        // Blocks still to apply are due at once: the alarm applies them batch after batch.
        return loaded.blocking !== null ? ctx.now : episodeDeadline(loaded.state.episode);
      }),
    );
  },
};

// ---- bulk ------------------------------------------------------------------------------------

/** One id's answer in a batch: what a single create would have answered, without the usage. */
export type BatchItem = Omit<EntityChange, "usage" | "kind">;

export interface EntityBatch {
  kind: EntityKind;
  /** One answer per id, in the order sent. */
  entities: BatchItem[];
  /** How many ids were new (a repeated or known id counts once). */
  created: number;
  /** The limit after the whole batch. */
  usage: PoolView;
}

/**
 * Records ids as if each were created in order, one after the other, in one transaction: the
 * same decisions as single creates (the id that reaches the limit starts the grace and is named
 * by limit.reached), with the pool kept in memory and written once.
 */
export function createEntities(
  ctx: WorkspaceContext,
  kind: EntityKind,
  ids: readonly string[],
): Outcome<EntityBatch> {
  const poolName = poolOf(kind);
  const limit = limitOf(ctx, poolName);
  let pool = loadPool(ctx.store, poolName);
  const events: PolicyEvent[] = [];
  const entities: BatchItem[] = [];
  let created = 0;
  for (const id of ids) {
    // Decided as new, then inserted unless the id is known: one statement for a new id.
    const admission = admit({ kind, id }, pool.state, limit, ctx.now);
    const seq = pool.lastSeq + 1;
    const inserted = ctx.store.run(
      `INSERT INTO entities (kind, id, status, outcome, seq, updated_at) VALUES (?, ?, ?, NULL, ?, ?)
       ON CONFLICT (kind, id) DO NOTHING`,
      kind,
      id,
      admission.status,
      seq,
      ctx.now,
    );
    let row: EntityRow | undefined;
    if (inserted > 0) {
      events.push(...admission.events);
      pool = { ...pool, state: admission.state, lastSeq: seq };
      row = { kind, id, status: admission.status, outcome: null, seq, updated_at: ctx.now };
      created++;
    } else {
      row = findEntity(ctx.store, kind, id);
      if (row === undefined) throw new Error(`entity ${kind}/${id} neither inserted nor found`);
    }
    const { kind: _, usage: __, ...item } = changeView(ctx, row, pool, inserted > 0);
    entities.push(item);
  }
  if (created > 0) {
    savePool(ctx.store, poolName, pool);
    recordEvents(ctx.store, events, ctx.now);
  }
  return ok({ kind, entities, created, usage: poolView(pool.state, limit, ctx.now) });
}

export interface LookupItem {
  id: string;
  /** `unknown`: never reported (or deleted); nothing blocks it. */
  status: EntityStatus | "unknown";
  accessible: boolean;
}

export interface EntityLookup {
  kind: EntityKind;
  /** One answer per id, in the order sent. */
  entities: LookupItem[];
}

/** Many entities' status at once, as GET of each would answer it; a read that never writes. */
export function lookupEntities(
  ctx: WorkspaceContext,
  kind: EntityKind,
  ids: readonly string[],
): Outcome<EntityLookup> {
  const { blocking } = readPool(ctx, poolOf(kind));
  const entities = ids.map((id): LookupItem => {
    const row = findEntity(ctx.store, kind, id);
    if (row === undefined) return { id, status: "unknown", accessible: true };
    const { status } = decided(row, blocking);
    return { id, status, accessible: isAccessible(status) };
  });
  return ok({ kind, entities });
}
