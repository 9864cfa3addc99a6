import {
  type Entity,
  type EntityPool,
  isAccessible,
  type PoolView,
  poolOf,
  poolView,
} from "../../policy/entities";
import { iso } from "../../policy/time";
import type { WorkspaceContext } from "../context";
import { readPool } from "./enforcement";
import { decided, limitOf, type Pool } from "./pool";
import type { EntityRow } from "./schema";

// The answers: an entity, an entity after a change, and a limit as GET usage shows it.

export function entityView(row: EntityRow) {
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

export function changeView(
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
