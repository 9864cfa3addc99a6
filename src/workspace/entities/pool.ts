import type { EntityKind, EntityPool, PoolState } from "../../policy/entities";
import type { Episode } from "../../policy/episode";
import type { Instant } from "../../policy/time";
import type { Store } from "../../storage";
import type { WorkspaceContext } from "../context";
import { type EntityRow, LOOKUPS } from "./schema";

// A pool's stored figures, and a stored row as its pool's enforcement decides it.

/**
 * An enforcement being applied: every entity of the pool still stored `active` with an order
 * number above `aboveSeq` is blocked (the newest ones, beyond the limit), `left` of them, as of
 * `at`. Batches mark them blocked newest first; answers read them as blocked meanwhile, so a
 * decision never depends on how far the batches got.
 */
export interface Blocking {
  aboveSeq: number;
  left: number;
  at: Instant;
}

export interface Pool {
  /** The pool's figures as decided: `counted` and `blocked` include blocks not yet applied. */
  state: PoolState;
  /** The create/reopen order last handed out: blocked entities are unblocked in this order. */
  lastSeq: number;
  blocking: Blocking | null;
}

export const limitOf = (ctx: WorkspaceContext, pool: EntityPool): number =>
  pool === "leads" ? ctx.limits.leads : ctx.limits.contactsAndCompanies;

export function loadPool(store: Store, pool: EntityPool): Pool {
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

export function savePool(store: Store, pool: EntityPool, { state, lastSeq, blocking }: Pool): void {
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

export const findEntity = (store: Store, kind: EntityKind, id: string): EntityRow | undefined =>
  store.one<EntityRow>(LOOKUPS.entity, kind, id);

/** A stored row as decided: one an enforcement blocks but no batch reached yet is blocked. */
export function decided(row: EntityRow, blocking: Blocking | null): EntityRow {
  const pending = blocking !== null && row.status === "active" && row.seq > blocking.aboveSeq;
  return pending ? { ...row, status: "blocked", updated_at: blocking.at } : row;
}
