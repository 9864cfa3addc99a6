import type { Outcome } from "../../outcome";
import { ok } from "../../outcome";
import {
  admit,
  type EntityKind,
  type EntityStatus,
  isAccessible,
  type PoolView,
  poolOf,
  poolView,
} from "../../policy/entities";
import type { PolicyEvent } from "../../policy/events";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { readPool } from "./enforcement";
import { decided, findEntity, limitOf, loadPool, savePool } from "./pool";
import type { EntityRow } from "./schema";
import { changeView, type EntityChange } from "./views";

// Up to 1,000 ids at once: creates in order in one transaction, and lookups.

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
