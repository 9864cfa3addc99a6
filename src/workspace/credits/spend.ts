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
import type { CallMeta, WorkspaceContext } from "../context";
import { addUsed, openHold } from "../memory";
import { applyThresholds } from "./counters";
import { appendLedger } from "./ledger";
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

/** The check: the same decision as a consume, with no write of any kind. */
export function checkCredits(ctx: WorkspaceContext, req: SpendRequest): SpendDecision {
  return decide(ctx, loadCreditState(ctx), req, "check");
}

/** Check and debit in one step: the caller's transaction makes it atomic. */
export function consumeCredits(
  ctx: WorkspaceContext,
  req: SpendRequest,
  meta: CallMeta,
): SpendDecision {
  const state = loadCreditState(ctx);
  const decision = decide(ctx, state, req, "debit");
  if (!decision.allowed) return decision;
  const periodStart = state.period.start;
  addUsed(ctx, periodStart, req.feature, req.credits);
  appendLedger(ctx.store, {
    at: ctx.now,
    kind: "debit",
    feature: req.feature,
    credits: req.credits,
    periodStart,
    meta,
  });
  applyThresholds(ctx, state.period);
  return decision;
}

export interface ReserveRequest extends SpendRequest {
  ttlSeconds?: number;
}

export type ReserveDecision = SpendDecision & {
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
  if (!decision.allowed) return { ...decision, reservationId: null, expiresAt: null, ttlSeconds };
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
  appendLedger(ctx.store, {
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
    reservationId: id,
    expiresAt: iso(expiresAt),
    ttlSeconds,
  };
}
