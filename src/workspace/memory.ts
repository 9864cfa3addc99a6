import type { Topup } from "../policy/budgets";
import {
  type AiFeature,
  type CatalogueVersion,
  type EffectiveLimits,
  effectiveLimits,
  nextVersionAt,
  type Subscription,
  versionFor,
} from "../policy/catalogue";
import type { Period } from "../policy/periods";
import { earliest, type Instant } from "../policy/time";
import type { Store } from "../storage";
import type { CreditCounters, WorkspaceContext } from "./context";
import { KnownSchedule, spreadAfter, switchVersions } from "./schedule";

/**
 * What the object keeps in memory between calls, and the only code that changes it. The object
 * is the only writer of its storage and runs one call at a time, so memory stays equal to
 * storage as long as every write of a remembered figure goes through a writer below (which
 * writes the row and the memory together) and everything else is reloaded after the
 * transaction that changed it (`adopt`) or dropped (`forget`, after any rollback).
 *
 * Memory imports no domain: it loads and settles through a `MemorySource` the object gives it,
 * so every domain may import the writers without a cycle.
 */
export interface MemorySource {
  loadSubscription(store: Store): Subscription | undefined;
  /** The credit counters at ctx.now, as a view reads them (credits/state.ts). */
  loadCounters(ctx: WorkspaceContext): CreditCounters;
  /** Applies every domain's due work at ctx.now; answers the earliest domain deadline after it. */
  settle(ctx: WorkspaceContext): Instant | null;
  /** The earliest domain deadline from storage, without settling. */
  deadline(ctx: WorkspaceContext): Instant | null;
  /** Housekeeping: one bounded batch of every domain's history; true when more is left. */
  prune(store: Store, now: Instant): boolean;
  /** The object's storage transaction. */
  transactionSync<T>(body: () => T): T;
  /** The published schedule (built-in first), from the catalogue's store; null: none bound. */
  fetchSchedule(): Promise<CatalogueVersion[] | null>;
  /**
   * A version switch at `ctx.now` (its effectiveAt): marks it applied and records
   * `limits.changed` when the limits differ from `before`; answers the marked subscription.
   */
  applyVersion(ctx: WorkspaceContext, before: EffectiveLimits): Subscription;
}

interface Hot {
  subscription: Subscription;
  limits: EffectiveLimits;
  catalogue: CatalogueVersion;
  /** The earliest domain deadline when settled, without the version switch. */
  domainsUntil?: Instant;
  /** The limits hold on [versionFrom, versionUntil): another version applies outside it. */
  versionFrom: Instant;
  versionUntil: Instant;
  /**
   * Known only after this instance settled the workspace: the earliest domain deadline then.
   * Before it, settling would change nothing, so calls skip it and decide from `counters`.
   */
  settledUntil?: Instant;
  /** Loaded on first use while settled; every counter write of a hot call updates them. */
  counters?: CreditCounters;
  /** A dry run found due work: checks read storage until a mutation or the alarm applies it. */
  duePending?: true;
}

/** A settled state, written in a transaction and adopted once it commits (null: no subscription). */
export type Settled = Hot | null;

/** Thrown inside a dry run to undo it: it found due work. */
class DueWorkPending {}

export class Memory {
  /** undefined: not loaded; null: no subscription. */
  private hot: Hot | null | undefined;
  /** The published catalogue versions this object knows (schedule.ts). */
  readonly schedule: KnownSchedule;

  constructor(
    private readonly store: Store,
    private readonly source: MemorySource,
  ) {
    this.schedule = new KnownSchedule(store, source.fetchSchedule, () => this.forget());
  }

  /** The subscription with the version and limits that hold at `now`; no SQL. */
  private hotOf(subscription: Subscription, now: Instant): Hot {
    const catalogue = versionFor(this.schedule.versions, subscription, now);
    const from = Date.parse(catalogue.effectiveAt);
    return {
      subscription,
      catalogue,
      limits: effectiveLimits(subscription, catalogue),
      versionFrom:
        subscription.catalogueVersion !== undefined ||
        catalogue === this.schedule.versions[0] ||
        from > now
          ? Number.NEGATIVE_INFINITY
          : from,
      versionUntil:
        nextVersionAt(this.schedule.versions, subscription, now) ?? Number.POSITIVE_INFINITY,
    };
  }

  /**
   * The subscription and limits, loaded once; whether the workspace is settled is unknown.
   * Past a version's effectiveAt the limits are those of the new version (lazily exact, like
   * periods): memory is rebuilt without SQL and settles again before the next hot decision.
   */
  private warm(now?: Instant): Hot | null {
    if (this.hot === undefined) {
      const subscription = this.source.loadSubscription(this.store);
      this.hot = subscription === undefined ? null : this.hotOf(subscription, now ?? Date.now());
    } else if (
      this.hot !== null &&
      now !== undefined &&
      (now < this.hot.versionFrom || now >= this.hot.versionUntil)
    ) {
      this.hot = this.hotOf(this.hot.subscription, now);
    }
    return this.hot;
  }

  /** Drops everything derived from storage: after a rollback, or before due work reloads it. */
  forget(): void {
    this.hot = undefined;
  }

  workspaceId(): string | undefined {
    return this.warm()?.subscription.workspaceId;
  }

  /** The subscription as remembered, without loading it (undefined: not in memory); no SQL. */
  remembered(): Subscription | undefined {
    return this.hot?.subscription;
  }

  private contextOf(hot: Hot, now: Instant): WorkspaceContext {
    return {
      store: this.store,
      subscription: hot.subscription,
      limits: hot.limits,
      catalogue: hot.catalogue,
      now,
    };
  }

  /** A context without counters (credits read storage); null: no subscription. */
  context(now: Instant): WorkspaceContext | null {
    const hot = this.warm(now);
    return hot === null ? null : this.contextOf(hot, now);
  }

  /** Nothing due at `now`: no renewal, lapsed hold, expired package or grace end since settling. */
  isSettled(now: Instant): boolean {
    const hot = this.warm(now);
    return hot !== null && settledAt(hot, now);
  }

  /**
   * Applies every domain's due work at `now` and answers the settled state with its next
   * deadline. Storage only: the caller adopts the answer once its transaction commits.
   */
  settle(now: Instant): Settled {
    const stored = this.source.loadSubscription(this.store);
    if (stored === undefined) return null;
    const hot = this.hotOf(
      switchVersions(this.store, this.source, this.schedule.versions, stored, now),
      now,
    );
    const deadline = this.source.settle(this.contextOf(hot, now));
    hot.domainsUntil = deadline ?? Number.POSITIVE_INFINITY;
    hot.settledUntil = earliest(deadline, hot.versionUntil) ?? Number.POSITIVE_INFINITY;
    return hot;
  }

  /** Keeps a settled state whose transaction committed; counters load on first use. */
  adopt(settled: Settled): void {
    this.hot = settled;
  }

  /**
   * The context of a hot call (consume, reserve, commit, release), inside its transaction:
   * settles first when a deadline passed, then decides from the counters in memory. Adopted at
   * once: a rollback forgets it. Null: no subscription.
   */
  hotContext(now: Instant): { ctx: WorkspaceContext; settled: boolean } | null {
    let hot = this.warm(now);
    let settled = false;
    if (hot === null) return null;
    if (!settledAt(hot, now)) {
      hot = this.settle(now);
      if (hot === null) return null;
      this.hot = hot;
      settled = true;
    }
    return { ctx: this.withCounters(hot, now), settled };
  }

  private withCounters(hot: Hot, now: Instant): WorkspaceContext {
    const ctx = this.contextOf(hot, now);
    hot.counters ??= this.source.loadCounters(ctx);
    return { ...ctx, counters: hot.counters };
  }

  /**
   * The context of a check, which never writes. Settled, it carries the counters and reads
   * nothing. A freshly started object does not know whether due work is pending: it settles in
   * a transaction that it rolls back if anything was written. Nothing written means nothing was
   * due, and the workspace is settled until its next deadline; otherwise checks evaluate
   * storage lazily until a mutation or the alarm (armed for that work) applies it.
   */
  checkContext(now: Instant): WorkspaceContext | null {
    const hot = this.warm(now);
    if (hot === null) return null;
    if (settledAt(hot, now)) return this.withCounters(hot, now);
    if (hot.settledUntil !== undefined || hot.duePending) return this.contextOf(hot, now);
    const written = this.store.rowsWritten;
    let settled: Settled = null;
    try {
      this.source.transactionSync(() => {
        settled = this.settle(now);
        if (this.store.rowsWritten !== written) throw new DueWorkPending();
      });
    } catch (error) {
      if (!(error instanceof DueWorkPending)) throw error;
      hot.duePending = true;
      return this.contextOf(hot, now);
    }
    this.hot = settled;
    const proven: Hot | null = settled;
    if (proven === null || !settledAt(proven, now)) return this.contextOf(hot, now);
    return this.withCounters(proven, now);
  }

  /**
   * Due work's transaction: drops memory, settles every domain and prunes a batch of history,
   * then keeps the settled state. Answers the workspace (undefined: no subscription) and
   * whether history is left to prune.
   */
  reload(now: Instant): { workspaceId: string | undefined; more: boolean } {
    this.forget();
    let more = false;
    const settled = this.source.transactionSync(() => {
      const state = this.settle(now);
      more = this.source.prune(this.store, now);
      return state;
    });
    this.hot = settled;
    return { workspaceId: settled?.subscription.workspaceId, more };
  }

  /** Until when nothing is due, as memory knows it (null: never); unsettled, from storage. */
  settleWindow(now: Instant): Instant | null {
    const hot = this.warm(now);
    if (hot === null) return null;
    const domains =
      hot.settledUntil !== undefined
        ? earliest(hot.domainsUntil ?? hot.settledUntil, hot.counters?.holdExpiry)
        : this.source.deadline(this.contextOf(hot, now));
    // A version switch wakes the workspace within SWITCH_SPREAD_MS after effectiveAt, never
    // later than its own deadlines, so a fleet does not wake all at once (decisions switch
    // exactly anyway: the hot path's window ends at effectiveAt).
    const at = earliest(domains, spreadAfter(hot.versionUntil, hot.subscription.workspaceId));
    return at === null || at === Number.POSITIVE_INFINITY ? null : at;
  }

  /** The ledger's last sequence as memory holds it (undefined: counters not loaded); no SQL. */
  ledgerSeq(): number | undefined {
    return this.hot?.counters?.ledgerSeq;
  }

  /** The earliest expiry of a hold opened since the counters loaded (null: none). */
  holdExpiry(): Instant | null {
    return this.hot?.counters?.holdExpiry ?? null;
  }

  /**
   * The paired check (tests only): memory that a call at `now` would use must equal what
   * storage answers at `now`, read through `audit`. Throws on any difference, after dropping
   * memory, so a write path that forgets memory fails its test instead of drifting. Answers
   * storage's domain deadline (null: none), for the alarm's own check.
   */
  verify(audit: Store, now: Instant): Instant | null {
    const subscription = this.source.loadSubscription(audit);
    const catalogue =
      subscription === undefined
        ? undefined
        : versionFor(this.schedule.versions, subscription, now);
    const ctx =
      subscription === undefined || catalogue === undefined
        ? undefined
        : {
            store: audit,
            subscription,
            limits: effectiveLimits(subscription, catalogue),
            catalogue,
            now,
          };
    const deadline = ctx === undefined ? null : this.source.deadline(ctx);
    const hot = this.hot;
    const found: string[] = [];
    if (hot === null || ctx === undefined) {
      if (hot !== undefined && (hot === null) !== (ctx === undefined)) found.push("subscription");
    } else if (hot !== undefined) {
      if (!same(hot.subscription, ctx.subscription)) found.push("subscription");
      if (!same(hot.limits, ctx.limits)) found.push("limits");
      if (settledAt(hot, now)) {
        const window = earliest(hot.settledUntil, hot.counters?.holdExpiry) ?? 0;
        // Earlier than storage's deadline is only cautious (a settle then finds nothing).
        if (window > (deadline ?? Number.POSITIVE_INFINITY)) {
          found.push(`deadline (memory ${window}, storage ${deadline})`);
        }
        if (hot.counters !== undefined) {
          found.push(...countersDiffer(hot.counters, this.source.loadCounters(ctx), now));
        }
      }
    }
    if (found.length === 0) return deadline;
    this.forget();
    throw new Error(`memory differs from storage: ${found.join(", ")}`);
  }
}

const settledAt = (hot: Hot, now: Instant): boolean =>
  hot.settledUntil !== undefined &&
  now < hot.settledUntil &&
  now >= hot.versionFrom &&
  (hot.counters === undefined ||
    (now >= hot.counters.period.start &&
      (hot.counters.holdExpiry === null || now < hot.counters.holdExpiry)));

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A map without its zero entries: a counter row at 0 and no row are the same figure. */
const nonZero = (m: ReadonlyMap<string, number>) =>
  [...m].filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b));

function countersDiffer(memory: CreditCounters, stored: CreditCounters, now: Instant): string[] {
  const found: string[] = [];
  const compare = (name: string, a: unknown, b: unknown) => {
    if (!same(a, b))
      found.push(`${name} (memory ${JSON.stringify(a)}, storage ${JSON.stringify(b)})`);
  };
  compare("period", memory.period, stored.period);
  compare(
    "packages",
    memory.packages.map((p) => [p.id, p.credits, p.expires_at]),
    stored.packages.map((p) => [p.id, p.credits, p.expires_at]),
  );
  compare("used", nonZero(memory.used), nonZero(stored.used));
  compare("held", nonZero(memory.held), nonZero(stored.held));
  compare("featureLimits", nonZero(memory.featureLimits), nonZero(stored.featureLimits));
  compare("announced", [...memory.announced].sort(), [...stored.announced].sort());
  compare("ledgerSeq", memory.ledgerSeq, stored.ledgerSeq);
  const [m, st] = [memory.budgets, stored.budgets];
  compare("agents", [...m.agents].sort(), [...st.agents].sort());
  compare("agentUsed", nonZero(m.agentUsed), nonZero(st.agentUsed));
  compare("agentHeld", nonZero(m.agentHeld), nonZero(st.agentHeld));
  compare("agentLimits", nonZero(m.agentLimits), nonZero(st.agentLimits));
  // An expired top-up whose last hold closed counts for nothing: storage no longer loads it.
  const live = (t: Topup) => t.held !== 0 || t.expiresAt > now;
  compare("topups", m.topups.filter(live), st.topups.filter(live));
  compare("topupUsed", m.topupUsed, st.topupUsed);
  compare("alertRules", m.alertRules, st.alertRules);
  compare("alertsFired", [...m.alertsFired].sort(), [...st.alertsFired].sort());
  return found;
}

// ---- the writers: a remembered figure's row and its memory, together ----------------------

/**
 * The counters as memory holds them. Everyone else sees them read-only (context.ts), so a
 * write that skips the writers below does not type-check; the paired check catches the rest.
 */
export interface WritableCounters {
  period: Period;
  used: Map<string, number>;
  held: Map<string, number>;
  announced: Set<number>;
  holdExpiry: Instant | null;
  ledgerSeq: number;
  budgets: {
    agentUsed: Map<string, number>;
    agentHeld: Map<string, number>;
    topups: Topup[];
    topupUsed: number;
    alertsFired: Set<string>;
  };
}

/**
 * The counters a writer may change: memory's own writers, here and in memoryLedger.ts (the
 * ledger's sequence), and nothing else.
 */
export const writable = (ctx: WorkspaceContext): WritableCounters | undefined =>
  ctx.counters as WritableCounters | undefined;

export const bump = (m: Map<string, number>, feature: string, n: number): void => {
  m.set(feature, (m.get(feature) ?? 0) + n);
};

/**
 * Credits used in the period that started at `periodStart` (credit_usage), `fromTopups` of
 * them paid by top-ups rather than the pool (docs/rules.md, "Budgets inside the pool").
 */
export function addUsed(
  ctx: WorkspaceContext,
  periodStart: Instant,
  feature: AiFeature,
  credits: number,
  fromTopups = 0,
): void {
  ctx.store.run(
    `INSERT INTO credit_usage (period_start, feature, used, topup_used) VALUES (?, ?, ?, ?)
     ON CONFLICT (period_start, feature) DO UPDATE SET used = used + excluded.used,
       topup_used = topup_used + excluded.topup_used`,
    periodStart,
    feature,
    credits,
    fromTopups,
  );
  const c = writable(ctx);
  if (c?.period.start === periodStart) {
    bump(c.used, feature, credits);
    c.budgets.topupUsed += fromTopups;
  }
}

/** Open holds' credits per feature (credit_holds): negative when a hold closes or expires. */
export function addHeld(ctx: WorkspaceContext, feature: AiFeature, credits: number): void {
  ctx.store.run(
    `INSERT INTO credit_holds (feature, held) VALUES (?, ?)
     ON CONFLICT (feature) DO UPDATE SET held = held + excluded.held`,
    feature,
    credits,
  );
  const c = writable(ctx);
  if (c !== undefined) bump(c.held, feature, credits);
}

/** A new hold: its credits, and its expiry, which becomes memory's deadline when sooner. */
export function openHold(
  ctx: WorkspaceContext,
  feature: AiFeature,
  credits: number,
  expiresAt: Instant,
): void {
  addHeld(ctx, feature, credits);
  const c = writable(ctx);
  if (c !== undefined && (c.holdExpiry === null || expiresAt < c.holdExpiry)) {
    c.holdExpiry = expiresAt;
  }
}

/** A threshold announced in the period that started at `periodStart` (credit_thresholds). */
export function announceThreshold(
  ctx: WorkspaceContext,
  periodStart: Instant,
  percent: number,
): void {
  ctx.store.run(
    "INSERT INTO credit_thresholds (period_start, percent) VALUES (?, ?)",
    periodStart,
    percent,
  );
  const c = writable(ctx);
  if (c?.period.start === periodStart) c.announced.add(percent);
}
