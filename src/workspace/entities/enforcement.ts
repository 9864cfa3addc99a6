import {
  blockedEvent,
  type EntityPool,
  type Settlement,
  settlePool,
  unblockedEvent,
} from "../../policy/entities";
import { episodeChanged } from "../../policy/episode";
import type { PolicyEvent } from "../../policy/events";
import type { Instant } from "../../policy/time";
import type { Store } from "../../storage";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { type Blocking, limitOf, loadPool, type Pool, savePool } from "./pool";
import { type EntityRow, LOOKUPS } from "./schema";

// Enforcement: blocking the newest entities beyond a limit in batches, unblocking the oldest.

/** Unblocking a large backlog (a big seat increase) reads the queue in pages of this many. */
const UNBLOCK_PAGE = 500;

/**
 * At most this many blocks are applied per call: an enforcement over a large excess (a million
 * leads imported during a grace) is applied over several calls and alarms, while every answer
 * already treats the rest as blocked (see Blocking).
 */
export const BLOCK_BATCH = 1_000;

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
export function settleOne(ctx: WorkspaceContext, pool: EntityPool): Pool {
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
export function readPool(ctx: WorkspaceContext, pool: EntityPool): Pool {
  const loaded = loadPool(ctx.store, pool);
  const { episode } = loaded.state;
  if (episode.phase !== "grace" || ctx.now < episode.graceEndsAt) return loaded;
  const settled = settlePool(pool, loaded.state, limitOf(ctx, pool), ctx.now);
  const { blocking } = nextBlocking(ctx.store, pool, loaded, settled, ctx.now);
  return { ...loaded, state: settled.state, blocking };
}
