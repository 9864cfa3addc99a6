import type { AiFeature } from "../../policy/catalogue";
import {
  DEFAULT_TTL_SECONDS,
  decideSpend,
  holdMessage,
  planOffering,
  reservationExpiry,
  type SpendDecision,
  type SpendMode,
} from "../../policy/credits";
import { iso } from "../../policy/time";
import { countRefusal } from "../archive/rollups";
import type { CallMeta, WorkspaceContext } from "../context";
import { addUsed, openHold } from "../memory";
import { applyThresholds } from "./counters";
import { appendLedger, type Receipt, receiptAt } from "./ledger";
import { type CreditState, loadCreditState } from "./state";

// Spend decisions: check (no write), consume (debit) and reserve (hold).

export interface SpendRequest {
  feature: AiFeature;
  credits: number;
}

function decide(ctx: WorkspaceContext, state: CreditState, req: SpendRequest, mode: SpendMode) {
  const feature = state.features[req.feature];
  return decideSpend(
    {
      feature,
      pool: state.pool,
      credits: req.credits,
      period: state.period,
      plan: ctx.subscription.plan,
      upgradeTo: feature.inPlan
        ? undefined
        : planOffering(req.feature, ctx.subscription, ctx.catalogue),
    },
    mode,
  );
}

/** A refused consume or reserve, counted for the statements (issue #19; a check counts none). */
function refused(ctx: WorkspaceContext, state: CreditState, req: SpendRequest, d: SpendDecision) {
  const reason = d.reason ?? "refused";
  countRefusal(ctx.store, ctx.now, state.period.start, reason, req.feature, req.credits);
}

/** A decision with its receipt (docs/rules.md#receipts). */
export type SpendAnswer = SpendDecision & { receipt: Receipt };

/**
 * The check: the same decision as a consume, with no write of any kind; its receipt is the
 * last sequence written, the ledger position it was decided against.
 */
export function checkCredits(ctx: WorkspaceContext, req: SpendRequest): SpendAnswer {
  return { ...decide(ctx, loadCreditState(ctx), req, "check"), receipt: receiptAt(ctx) };
}

/** Check and debit in one step: the caller's transaction makes it atomic. */
export function consumeCredits(
  ctx: WorkspaceContext,
  req: SpendRequest,
  meta: CallMeta,
): SpendAnswer {
  const state = loadCreditState(ctx);
  const decision = decide(ctx, state, req, "debit");
  if (!decision.allowed) {
    refused(ctx, state, req, decision);
    return { ...decision, receipt: receiptAt(ctx) };
  }
  const periodStart = state.period.start;
  addUsed(ctx, periodStart, req.feature, req.credits);
  const seq = appendLedger(ctx, {
    at: ctx.now,
    kind: "debit",
    feature: req.feature,
    credits: req.credits,
    periodStart,
    meta,
  });
  applyThresholds(ctx, state.period);
  return { ...decision, receipt: receiptAt(ctx, seq) };
}

export interface ReserveRequest extends SpendRequest {
  ttlSeconds?: number;
}

export type ReserveDecision = SpendAnswer & {
  reservationId: string | null;
  expiresAt: string | null;
  ttlSeconds: number;
};

export function reserveCredits(
  ctx: WorkspaceContext,
  req: ReserveRequest,
  meta: CallMeta,
): ReserveDecision {
  const ttlSeconds = req.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const state = loadCreditState(ctx);
  const decision = decide(ctx, state, req, "hold");
  if (!decision.allowed) {
    refused(ctx, state, req, decision);
    return {
      ...decision,
      receipt: receiptAt(ctx),
      reservationId: null,
      expiresAt: null,
      ttlSeconds,
    };
  }
  const id = `rsv_${crypto.randomUUID().replaceAll("-", "")}`;
  const expiresAt = reservationExpiry(ctx.now, ttlSeconds);
  ctx.store.run(
    `INSERT INTO credit_reservations (id, feature, credits, state, created_at, expires_at)
     VALUES (?, ?, ?, 'open', ?, ?)`,
    id,
    req.feature,
    req.credits,
    ctx.now,
    expiresAt,
  );
  openHold(ctx, req.feature, req.credits, expiresAt);
  const seq = appendLedger(ctx, {
    at: ctx.now,
    kind: "hold",
    feature: req.feature,
    credits: req.credits,
    reservationId: id,
    periodStart: state.period.start,
    meta,
  });
  return {
    ...decision,
    message: holdMessage(decision.message, expiresAt),
    receipt: receiptAt(ctx, seq),
    reservationId: id,
    expiresAt: iso(expiresAt),
    ttlSeconds,
  };
}
