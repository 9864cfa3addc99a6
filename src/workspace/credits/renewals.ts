import { type CatalogueVersion, effectiveLimits, type Subscription } from "../../policy/catalogue";
import { type EndedPeriod, planRenewals, resetEvent } from "../../policy/credits";
import { changeAnchor, type Schedule, scheduleAt } from "../../policy/periods";
import type { Instant } from "../../policy/time";
import type { Store } from "../../storage";
import { recordStatement } from "../archive/statements";
import type { WorkspaceContext } from "../context";
import { recordEvents } from "../events";
import { topupUsedIn } from "./budgets";
import { loadSchedule, storedPeriod, storeSchedule } from "./period";
import { HISTORY_RETENTION_MS } from "./retention";
import { loadCreditState, total, usedByFeature } from "./state";

// Period renewals and anchor changes, each announced by a `credits.reset` event.

/** The balance in force at a period's last instant: packages that existed and had not expired. */
function balanceAtEnd(ctx: WorkspaceContext, end: Instant): number {
  const row = ctx.store.one<{ n: number | null }>(
    "SELECT SUM(credits) AS n FROM credit_packages WHERE expires_at >= ? AND created_at < ?",
    end,
    end,
  );
  return ctx.limits.includedCredits + (row?.n ?? 0);
}

/** The pool's figures: what top-ups paid is theirs (docs/rules.md, "Budgets inside the pool"). */
function endedPeriod(ctx: WorkspaceContext, start: Instant, end: Instant): EndedPeriod {
  const used = total(usedByFeature(ctx.store, start)) - topupUsedIn(ctx.store, start);
  return { start, used, balance: balanceAtEnd(ctx, end) };
}

/**
 * Notices renewals: one `credits.reset` per period start passed since the last settle, at that
 * instant, each with the figures of the period it closed. Counters need no reset: they are
 * keyed by period start (a start two periods share is told apart by what it carries). A
 * changed anchor is not a renewal: the subscription change announces it (setPeriodAnchor).
 */
export function applyRenewals(ctx: WorkspaceContext, schedule: Schedule): void {
  const stored = storedPeriod(ctx.store);
  const plan = planRenewals(
    stored !== undefined && "end" in stored ? stored : undefined,
    schedule,
    ctx.now,
  );
  if (plan === null) return;
  // The figures first: the closed periods' usage is read with what the stored record carries.
  const events = plan.renewals.map(({ ended, started }) => {
    const figures = endedPeriod(ctx, ended.start, ended.end);
    // Its statement (docs/history.md), fixed now: the period's use is final at its end.
    const used = usedByFeature(ctx.store, ended.start);
    recordStatement(ctx, { ...ended, balance: figures.balance, used });
    return resetEvent(started.start, started.end, figures);
  });
  storeSchedule(ctx.store, plan.next);
  if (events.length === 0) return;
  recordEvents(ctx.store, events, ctx.now);
  const cutoff = ctx.now - HISTORY_RETENTION_MS;
  ctx.store.run("DELETE FROM credit_usage WHERE period_start < ?", cutoff);
  ctx.store.run("DELETE FROM credit_thresholds WHERE period_start < ?", cutoff);
  ctx.store.run("DELETE FROM copilot_questions WHERE period_start < ?", cutoff);
}

/**
 * PUT subscription's part in the periods, called before the new subscription is stored. A new
 * subscription starts on its anchor's month containing now. A changed anchor (docs/rules.md,
 * "A changed anchor") ends the period in force now, announced by a `credits.reset` with that
 * period's figures and the balance in force before the change (the previous plan, seats and
 * packages), and starts a new one from now to the new anchor's next occurrence; or keeps the
 * period in force when its bounds do not move (see changeAnchor).
 *
 * A period that began at this very instant (a change right on a renewal, or a second change
 * under one frozen test clock) has lasted no time, so nothing ends: it keeps its start and what
 * was charged to it, and takes the new anchor's end. Ending it instead would start a second
 * period at the same instant, and the ledger, whose entries say the start of the period they
 * were charged in, could no longer tell the two apart (nor could a statement by period start).
 */
export function setPeriodAnchor(
  store: Store,
  previous: Subscription | undefined,
  anchor: Instant,
  now: Instant,
  catalogue: CatalogueVersion,
): void {
  if (previous === undefined) {
    storeSchedule(store, scheduleAt(anchor, now));
    return;
  }
  if (previous.periodAnchor === anchor) return;
  const before: WorkspaceContext = {
    store,
    subscription: previous,
    limits: effectiveLimits(previous, catalogue),
    catalogue,
    now,
  };
  const change = changeAnchor(loadSchedule(before), anchor, now);
  if (change.kind === "kept" || change.sharesStart) {
    storeSchedule(store, change.schedule);
    return;
  }
  // Figures of the period in force (the one that ends), as they stand before the change.
  const { pool } = loadCreditState(before);
  const ended = { start: change.ended.start, used: pool.used, balance: pool.balance };
  const used = usedByFeature(store, change.ended.start);
  recordStatement(before, { start: ended.start, end: now, balance: pool.balance, used });
  recordEvents(store, [resetEvent(change.schedule.start, change.schedule.end, ended)], now);
  storeSchedule(store, change.schedule);
}
