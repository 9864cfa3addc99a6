import { type Outcome, ok } from "../../outcome";
import {
  type BudgetDecision,
  decideBudgetSpend,
  poolPart,
  type Sources,
} from "../../policy/budgets";
import type { AiFeature } from "../../policy/catalogue";
import {
  DEFAULT_TTL_SECONDS,
  holdMessage,
  planOffering,
  reservationExpiry,
  type SpendMode,
} from "../../policy/credits";
import { iso } from "../../policy/time";
import { countRefusal } from "../archive/rollups";
import type { CallMeta, WorkspaceContext } from "../context";
import { addUsed, openHold } from "../memory";
import { addAgentHeld, addAgentUsed, addTopups } from "../memoryBudgets";
import { applyAlerts } from "./alerts";
import { agentUse, unknownAgent } from "./budgets";
import { applyThresholds } from "./counters";
import { appendLedger, type Receipt, receiptAt } from "./ledger";
import { type CreditState, loadCreditState } from "./state";

// Spend decisions: check (no write), consume (debit) and reserve (hold).

export interface SpendRequest {
  feature: AiFeature;
  credits: number;
  /** The agent spending, an agent of the workspace (docs/rules.md, "Budgets inside the pool"). */
  agentId?: string;
}

/** The decision and the sources it draws from; an unknown agent is the caller's mistake. */
function decide(
  ctx: WorkspaceContext,
  state: CreditState,
  req: SpendRequest,
  mode: SpendMode,
): Outcome<{ decision: BudgetDecision; sources: Sources }> {
  const feature = state.features[req.feature];
  const { budgets } = state;
  if (req.agentId !== undefined && !budgets.agents.has(req.agentId))
    return unknownAgent(req.agentId);
  return ok(
    decideBudgetSpend(
      {
        feature,
        pool: state.pool,
        credits: req.credits,
        period: state.period,
        plan: ctx.subscription.plan,
        upgradeTo: feature.inPlan
          ? undefined
          : planOffering(req.feature, ctx.subscription, ctx.catalogue),
        agent: req.agentId === undefined ? undefined : agentUse(budgets, req.agentId),
        topups: budgets.topups,
        now: ctx.now,
      },
      mode,
    ),
  );
}

/** A refused consume or reserve, counted for the statements (issue #19; a check counts none). */
function refused(ctx: WorkspaceContext, state: CreditState, req: SpendRequest, d: BudgetDecision) {
  const reason = d.reason ?? "refused";
  countRefusal(ctx.store, ctx.now, state.period.start, reason, req.feature, req.credits);
}

/** A decision with its receipt (docs/rules.md#receipts). */
export type SpendAnswer = BudgetDecision & { receipt: Receipt };

/** The credits top-ups paid of some sources, and the sources the ledger records (null: the pool). */
const topupShare = (sources: Sources, credits: number) => {
  const fromTopups = credits - poolPart(sources);
  return { fromTopups, recorded: fromTopups > 0 ? sources : null };
};

/**
 * The check: the same decision as a consume, with no write of any kind; its receipt is the
 * last sequence written, the ledger position it was decided against.
 */
export function checkCredits(ctx: WorkspaceContext, req: SpendRequest): Outcome<SpendAnswer> {
  const d = decide(ctx, loadCreditState(ctx), req, "check");
  return d.ok ? ok({ ...d.value.decision, receipt: receiptAt(ctx) }) : d;
}

/** Check and debit in one step: the caller's transaction makes it atomic. */
export function consumeCredits(
  ctx: WorkspaceContext,
  req: SpendRequest,
  meta: CallMeta,
): Outcome<SpendAnswer> {
  const state = loadCreditState(ctx);
  const decided = decide(ctx, state, req, "debit");
  if (!decided.ok) return decided;
  const { decision, sources } = decided.value;
  if (!decision.allowed) {
    refused(ctx, state, req, decision);
    return ok({ ...decision, receipt: receiptAt(ctx) });
  }
  const periodStart = state.period.start;
  const share = topupShare(sources, req.credits);
  addUsed(ctx, periodStart, req.feature, req.credits, share.fromTopups);
  if (req.agentId !== undefined) addAgentUsed(ctx, periodStart, req.agentId, req.credits);
  addTopups(ctx, sources, "used", 1);
  const seq = appendLedger(ctx, {
    at: ctx.now,
    kind: "debit",
    feature: req.feature,
    credits: req.credits,
    periodStart,
    meta,
    agentId: req.agentId,
    sources: share.recorded,
  });
  applyThresholds(ctx, state.period);
  applyAlerts(ctx, state.period, false);
  return ok({ ...decision, receipt: receiptAt(ctx, seq) });
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
): Outcome<ReserveDecision> {
  const ttlSeconds = req.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const state = loadCreditState(ctx);
  const decided = decide(ctx, state, req, "hold");
  if (!decided.ok) return decided;
  const { decision, sources } = decided.value;
  if (!decision.allowed) {
    refused(ctx, state, req, decision);
    return ok({
      ...decision,
      receipt: receiptAt(ctx),
      reservationId: null,
      expiresAt: null,
      ttlSeconds,
    });
  }
  const id = `rsv_${crypto.randomUUID().replaceAll("-", "")}`;
  const expiresAt = reservationExpiry(ctx.now, ttlSeconds);
  const share = topupShare(sources, req.credits);
  ctx.store.run(
    `INSERT INTO credit_reservations (id, feature, credits, state, created_at, expires_at, agent_id, sources)
     VALUES (?, ?, ?, 'open', ?, ?, ?, ?)`,
    id,
    req.feature,
    req.credits,
    ctx.now,
    expiresAt,
    req.agentId ?? null,
    share.recorded === null ? null : JSON.stringify(share.recorded),
  );
  openHold(ctx, req.feature, req.credits, expiresAt);
  if (req.agentId !== undefined) addAgentHeld(ctx, req.agentId, req.credits);
  addTopups(ctx, sources, "held", 1);
  const seq = appendLedger(ctx, {
    at: ctx.now,
    kind: "hold",
    feature: req.feature,
    credits: req.credits,
    reservationId: id,
    periodStart: state.period.start,
    meta,
    agentId: req.agentId,
    sources: share.recorded,
  });
  applyAlerts(ctx, state.period, false);
  return ok({
    ...decision,
    message: holdMessage(decision.message, expiresAt),
    receipt: receiptAt(ctx, seq),
    reservationId: id,
    expiresAt: iso(expiresAt),
    ttlSeconds,
  });
}
