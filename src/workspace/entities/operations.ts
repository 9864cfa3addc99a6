import { fail, type Outcome, ok } from "../../outcome";
import {
  admit,
  closeTransition,
  type EntityKind,
  type LeadOutcome,
  type PoolView,
  poolOf,
  poolView,
  release,
  reopenTransition,
} from "../../policy/entities";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { readPool, settleOne } from "./enforcement";
import { decided, findEntity, limitOf, loadPool, type Pool, savePool } from "./pool";
import type { EntityRow } from "./schema";
import { changeView, type EntityChange, type EntityView, entityView } from "./views";

// One entity at a time: create, close, reopen, delete, read.

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
