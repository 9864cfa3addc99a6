import { decideQuestion, type QuestionDecision } from "../../policy/credits";
import type { Period } from "../../policy/periods";
import { type Instant, iso } from "../../policy/time";
import type { Store } from "../../storage";
import type { CallMeta, WorkspaceContext } from "../context";
import { appendLedger, type Receipt, receiptAt } from "./ledger";
import { carriedAt, currentPeriod } from "./period";

// Copilot Kommo questions: a count per period, beside the credit pool.

export const storedQuestions = (store: Store, periodStart: Instant): number =>
  store.one<{ used: number }>(
    "SELECT used FROM copilot_questions WHERE period_start = ?",
    periodStart,
  )?.used ?? 0;

/** Copilot questions asked in the period that started at `periodStart`. */
const questionsUsed = (store: Store, periodStart: Instant): number =>
  storedQuestions(store, periodStart) - (carriedAt(store, periodStart)?.questions ?? 0);

export function consumeQuestion(
  ctx: WorkspaceContext,
  meta: CallMeta,
): QuestionDecision & { receipt: Receipt } {
  const period = currentPeriod(ctx);
  const decision = decideQuestion(
    questionsUsed(ctx.store, period.start),
    ctx.limits.copilotQuestions,
    period,
  );
  if (!decision.allowed) return { ...decision, receipt: receiptAt(ctx) };
  ctx.store.run(
    `INSERT INTO copilot_questions (period_start, used) VALUES (?, 1)
     ON CONFLICT (period_start) DO UPDATE SET used = used + 1`,
    period.start,
  );
  const seq = appendLedger(ctx, {
    at: ctx.now,
    kind: "question",
    feature: null,
    credits: 1,
    periodStart: period.start,
    meta,
  });
  return { ...decision, receipt: receiptAt(ctx, seq) };
}

export function questionsSection(ctx: WorkspaceContext, period: Period) {
  const used = questionsUsed(ctx.store, period.start);
  const limit = ctx.limits.copilotQuestions;
  return {
    used,
    limit,
    remaining: limit === null ? null : limit - used,
    nextResetAt: iso(period.end),
  };
}
