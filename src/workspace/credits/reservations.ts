import { fail, ok } from "../../outcome";
import {
  allocate,
  mergeSources,
  POOL_SOURCE,
  poolPart,
  type Sources,
  splitCommit,
} from "../../policy/budgets";
import type { AiFeature } from "../../policy/catalogue";
import {
  closable,
  closedFigures,
  commitFigures,
  commitMessage,
  type Reservation,
  type ReservationState,
  releaseMessage,
  remainingOf,
  stateAt,
} from "../../policy/credits";
import { periodOf, type Schedule } from "../../policy/periods";
import { type Instant, iso } from "../../policy/time";
import type { Store } from "../../storage";
import type { CallMeta, WorkspaceContext } from "../context";
import { addHeld, addUsed } from "../memory";
import { addAgentHeld, addAgentUsed, addTopups } from "../memoryBudgets";
import { applyAlerts } from "./alerts";
import { parseSources } from "./budgets";
import { applyThresholds } from "./counters";
import { appendLedger, receiptAt } from "./ledger";
import { currentPeriod } from "./period";
import { loadCreditState } from "./state";
import { remainingFigures } from "./views";

// Reservations (holds): commit, release, lookup, and expiry at their TTL.

/** Settle does bounded work per call; anything left is due at once and done by the next. */
const BATCH = 256;

interface ReservationRow {
  id: string;
  feature: AiFeature;
  credits: number;
  state: ReservationState;
  created_at: number;
  expires_at: number;
  charged: number | null;
  closed_at: number | null;
  agent_id?: string | null;
  sources?: string | null;
}

/** A reservation with the agent it names and the sources its hold was drawn from. */
type Held = Reservation & { agentId: string | null; sources: Sources };

function loadReservation(store: Store, id: string): Held | undefined {
  const row = store.one<ReservationRow>("SELECT * FROM credit_reservations WHERE id = ?", id);
  return row === undefined
    ? undefined
    : {
        id: row.id,
        feature: row.feature,
        credits: row.credits,
        state: row.state,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        charged: row.charged,
        closedAt: row.closed_at,
        agentId: row.agent_id ?? null,
        sources: parseSources(row.sources) ?? [[POOL_SOURCE, row.credits]],
      };
}

/** The pool and the reservation's feature after a commit or release, for its answer. */
function figuresAfter(ctx: WorkspaceContext, feature: AiFeature) {
  const state = loadCreditState(ctx);
  const { pool, period, features } = state;
  const figures = {
    ...closedFigures(pool, features[feature], period),
    ...remainingFigures(ctx, state),
  };
  return { pool, period, figures };
}

function closeReservation(
  ctx: WorkspaceContext,
  r: Held,
  state: "committed" | "released",
  charged: number | null,
): void {
  ctx.store.run(
    "UPDATE credit_reservations SET state = ?, charged = ?, closed_at = ? WHERE id = ?",
    state,
    charged,
    ctx.now,
    r.id,
  );
  freeHold(ctx, r);
}

/** A hold stops holding: its feature's, its agent's and each top-up's part. */
function freeHold(
  ctx: WorkspaceContext,
  r: Pick<Held, "feature" | "credits" | "agentId" | "sources">,
): void {
  addHeld(ctx, r.feature, -r.credits);
  if (r.agentId !== null) addAgentHeld(ctx, r.agentId, -r.credits);
  addTopups(ctx, r.sources, "held", -1);
}

/** Sources as the ledger records them: null when the pool alone is named. */
const recorded = (sources: Sources): Sources | null =>
  sources.every(([source]) => source === POOL_SOURCE) ? null : sources;

/**
 * Who pays a commit's charge: the hold's own sources in the order they were drawn, and above
 * the estimate the rest like a new spend, the pool first, then top-ups (docs/rules.md).
 */
function commitSources(ctx: WorkspaceContext, r: Held, charged: number): Sources {
  const split = splitCommit(r.sources, charged);
  // The hold's top-ups pay first, so that the rest sees what they have left after it.
  addTopups(ctx, split.paid, "used", 1);
  if (split.more === 0) return split.paid;
  const { pool, budgets } = loadCreditState(ctx);
  const more = allocate(
    split.more,
    remainingOf(pool) - poolPart(split.paid),
    budgets.topups,
    ctx.now,
  );
  addTopups(ctx, more, "used", 1);
  return mergeSources(split.paid, more);
}

function reservationView(r: Reservation, now: Instant) {
  return {
    reservationId: r.id,
    feature: r.feature,
    credits: r.credits,
    state: stateAt(r, now),
    createdAt: iso(r.createdAt),
    expiresAt: iso(r.expiresAt),
    charged: r.charged,
    closedAt: r.closedAt === null ? null : iso(r.closedAt),
  };
}

export function getReservation(ctx: WorkspaceContext, id: string) {
  const r = loadReservation(ctx.store, id);
  return r === undefined
    ? fail("not_found", `No reservation ${id} in this workspace.`)
    : ok(reservationView(r, ctx.now));
}

/**
 * Charges the actual cost of a reserved call, whatever it is: the work was done. An overrun is
 * charged too and may take remaining below zero, which refuses later spends. The charge lands
 * in the period of the commit, the moment the cost became known.
 */
export function commitReservation(
  ctx: WorkspaceContext,
  id: string,
  actual: number,
  meta: CallMeta,
) {
  const open = closable(loadReservation(ctx.store, id), ctx.now);
  if (!open.ok) return open;
  // loadReservation answers a Held: its agent and sources ride along.
  const r = open.value as Held;
  const period = currentPeriod(ctx);
  const { charged, overrun } = commitFigures(r.credits, actual);
  closeReservation(ctx, r, "committed", charged);
  const paid = commitSources(ctx, r, charged);
  if (charged > 0) addUsed(ctx, period.start, r.feature, charged, charged - poolPart(paid));
  if (charged > 0 && r.agentId !== null) addAgentUsed(ctx, period.start, r.agentId, charged);
  const seq = appendLedger(ctx, {
    at: ctx.now,
    kind: "commit",
    feature: r.feature,
    credits: charged,
    reservationId: r.id,
    periodStart: period.start,
    meta,
    agentId: r.agentId,
    sources: recorded(paid),
  });
  applyThresholds(ctx, period);
  applyAlerts(ctx, period, false);
  const after = figuresAfter(ctx, r.feature);
  return ok({
    reservationId: r.id,
    state: "committed" as const,
    feature: r.feature,
    reserved: r.credits,
    charged,
    overrun,
    committedAt: iso(ctx.now),
    message: commitMessage(r, charged, overrun, after.pool, after.period),
    ...after.figures,
    receipt: receiptAt(ctx, seq),
  });
}

export function releaseReservation(ctx: WorkspaceContext, id: string, meta: CallMeta) {
  const open = closable(loadReservation(ctx.store, id), ctx.now);
  if (!open.ok) return open;
  // loadReservation answers a Held: its agent and sources ride along.
  const r = open.value as Held;
  closeReservation(ctx, r, "released", null);
  const seq = appendLedger(ctx, {
    at: ctx.now,
    kind: "release",
    feature: r.feature,
    credits: r.credits,
    reservationId: r.id,
    periodStart: currentPeriod(ctx).start,
    meta,
    agentId: r.agentId,
    sources: recorded(r.sources),
  });
  const after = figuresAfter(ctx, r.feature);
  return ok({
    reservationId: r.id,
    state: "released" as const,
    feature: r.feature,
    reserved: r.credits,
    released: r.credits,
    releasedAt: iso(ctx.now),
    message: releaseMessage(r, after.pool, after.period),
    ...after.figures,
    receipt: receiptAt(ctx, seq),
  });
}

/**
 * Frees holds whose TTL passed: the ledger says when (in the period in force then, from the
 * schedule of the last settle), the counters stop holding them.
 */
export function expireReservations(ctx: WorkspaceContext, schedule: Schedule): void {
  const due = ctx.store.all<ReservationRow>(
    "SELECT * FROM credit_reservations WHERE state = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
    ctx.now,
    BATCH,
  );
  for (const r of due) {
    ctx.store.run(
      "UPDATE credit_reservations SET state = 'expired', closed_at = ? WHERE id = ?",
      r.expires_at,
      r.id,
    );
    const sources = parseSources(r.sources) ?? [[POOL_SOURCE, r.credits]];
    freeHold(ctx, { feature: r.feature, credits: r.credits, agentId: r.agent_id ?? null, sources });
    appendLedger(ctx, {
      at: r.expires_at,
      kind: "expire",
      feature: r.feature,
      credits: r.credits,
      reservationId: r.id,
      periodStart: periodOf(schedule, r.expires_at).start,
      agentId: r.agent_id ?? null,
      sources: recorded(sources),
    });
  }
}
