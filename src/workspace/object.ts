import { DurableObject } from "cloudflare:workers";
import { dueShardFor } from "../cron/dueIndex";
import type { Env } from "../env";
import { fail, type Outcome, ok } from "../errors";
import type { AgentRef } from "../policy/agents";
import {
  type AiFeature,
  type EffectiveLimits,
  effectiveLimits,
  type Subscription,
} from "../policy/catalogue";
import type { ChannelKind } from "../policy/channels";
import type { SpendDecision } from "../policy/credits";
import type { EntityKind, LeadOutcome } from "../policy/entities";
import { moveTestClock } from "../policy/testClock";
import { earliest, HOUR_MS, type Instant, iso, MINUTE_MS } from "../policy/time";
import { type Migration, migrate, Store } from "../storage";
import {
  type AgentDecision,
  type AgentDeletion,
  type AgentList,
  activateAgent,
  createAgent,
  deactivateAgent,
  deleteAgent,
  listAgents,
} from "./agents";
import * as channels from "./channels";
import type { CallMeta, CreditCounters, WorkspaceContext } from "./context";
import {
  checkCredits,
  commitReservation,
  consumeCredits,
  consumeQuestion,
  creditsView,
  getReservation,
  ledgerPage,
  loadCreditCounters,
  type PackageInput,
  putPackage,
  type ReserveRequest,
  releaseReservation,
  reserveCredits,
  type SpendRequest,
  setFeatureLimit,
} from "./credits";
import { dailyCredits } from "./creditsDaily";
import { cursorMigrations } from "./cursors";
import { deliverDue, deliveryDeadline } from "./delivery";
import { DOMAINS } from "./domains";
import {
  closeLead,
  createEntities,
  createEntity,
  deleteEntity,
  type EntityBatch,
  type EntityChange,
  type EntityDeletion,
  type EntityLookup,
  type EntityView,
  lookupEntities,
  readEntity,
  reopenLead,
} from "./entities";
import {
  type EventsPage,
  eventMigrations,
  eventsPage,
  noteWebhookConfigured,
  pruneEvents,
  retentionDeadline,
} from "./events";
import { FleetReporter, fleetRow } from "./fleet";
import {
  findPrior,
  idempotencyMigrations,
  idempotencyPruneDeadline,
  pruneIdempotency,
  remember,
} from "./idempotency";
import {
  loadSubscription,
  type SubscriptionInput,
  type SubscriptionView,
  saveSubscription,
  subscriptionView,
} from "./subscription";
import { type UsageView, usageView } from "./usage";
import { webhookConfig, webhookConfigured } from "./webhook";

const coreMigrations: Migration[] = [
  {
    name: "meta_v1",
    statements: ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
  },
  ...eventMigrations,
  ...idempotencyMigrations,
  ...cursorMigrations,
];

/** An outcome as the caller sees it: `replayed` marks an answer served from an Idempotency-Key. */
export type Reply<T> = Outcome<T> & { replayed?: boolean };

/** Thrown inside a transaction to undo its writes and answer an error instead. */
class Rollback {
  constructor(readonly outcome: Outcome<never>) {}
}

/** Undoes a dry run of due work that found something to do. */
class DueWorkPending {}

const TEST_CLOCK_KEY = "testClock";
/** The deadline this workspace last reported to the due index (null: not in the index). */
const INDEXED_KEY = "dueIndexedAt";
/** After a failed report to the due index, the alarm tries again this soon. */
const INDEX_RETRY_MS = MINUTE_MS;
/**
 * Housekeeping gets an alarm of its own once this many calls wrote history since it last ran;
 * short of that, it waits for the next alarm of any kind (at the latest the period's end), so a
 * quiet workspace is never woken for it. It then runs at most hourly, unless a batch was full.
 */
const PRUNE_AFTER_WRITES = 1_000;
const PRUNE_INTERVAL_MS = HOUR_MS;

const noSubscription = () =>
  fail<never>("not_found", "This workspace has no subscription yet; PUT its subscription first.");

/**
 * What the object keeps in memory between calls. It is the only writer of its storage and runs
 * one call at a time, so all of this stays equal to storage as long as every write that changes
 * it updates it (the credit counters) or drops it (everything else), and a rolled-back
 * transaction drops it all.
 */
interface Hot {
  subscription: Subscription;
  limits: EffectiveLimits;
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

/** Nothing due at `now`: no renewal, lapsed hold, expired package or grace end since settling. */
const isSettled = (hot: Hot, now: Instant): boolean =>
  hot.settledUntil !== undefined &&
  now < hot.settledUntil &&
  (hot.counters === undefined ||
    (now >= hot.counters.period.start &&
      (hot.counters.holdExpiry === null || now < hot.counters.holdExpiry)));

/**
 * One per workspace: the atomic counter and ledger of every limit. Each call reads the clock
 * once, runs pure policy inside one synchronous transaction (no await between reading and
 * writing a balance), then arms the single alarm that serves every deadline.
 *
 * The preflight (check, consume, reserve, commit, release) decides from what the object keeps
 * in memory and settles only after a deadline passed; history is pruned by the alarm. A check
 * reads nothing and a consume writes a counter and a ledger row (test/workspace/statements).
 */
export class WorkspaceObject extends DurableObject<Env> {
  private readonly store: Store;
  /** The due-work run in progress: runs are chained so deliveries never overlap (see runDueWork). */
  private dueWork: Promise<unknown> = Promise.resolve();
  /** undefined: not loaded; null: no subscription. */
  private hot: Hot | null | undefined;
  /** The alarm as this instance last set it (undefined: unknown, ask storage). */
  private alarmAt: Instant | null | undefined;
  /** INDEXED_KEY as stored (undefined: not read yet). */
  private indexedAt: Instant | null | undefined;
  /** The workspace's next due work (dueAt without the test-clock rule; undefined: recompute). */
  private dueAt: Instant | null | undefined;
  /** When housekeeping has its own alarm (null: none; it runs with the next due work). */
  private pruneAt: Instant | null = null;
  /** Calls that wrote history since housekeeping was last scheduled or ran. */
  private historyWrites = 0;
  /** The fleet index's reports and decision counts (src/workspace/fleet.ts). */
  private readonly fleet: FleetReporter;
  /** The alarm is armed for the fleet report alone, before any due work. */
  private fleetAlarm = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new Store(ctx.storage.sql);
    this.fleet = new FleetReporter(env, this.store);
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.store, [...coreMigrations, ...DOMAINS.flatMap((d) => d.migrations)]);
      // Decides whether the events recorded from now on are delivered (`pending`) or `disabled`.
      noteWebhookConfigured(this.store, webhookConfigured(env));
    });
  }

  // ---- clock -------------------------------------------------------------------------------

  /** Read on every call, never cached: a test may move it in storage to model a missed alarm. */
  private testClock(): Instant | undefined {
    return this.env.TEST_CLOCKS === "on" ? this.store.getMeta<Instant>(TEST_CLOCK_KEY) : undefined;
  }

  /** The one clock read of a call: the workspace's frozen test clock, or real time. */
  private now(): Instant {
    return this.testClock() ?? Date.now();
  }

  // ---- what the object keeps in memory -----------------------------------------------------

  /** The subscription and limits, loaded once; whether the workspace is settled is unknown. */
  private warm(): Hot | null {
    if (this.hot === undefined) {
      const subscription = loadSubscription(this.store);
      this.hot =
        subscription === undefined ? null : { subscription, limits: effectiveLimits(subscription) };
    }
    return this.hot;
  }

  /** Drops everything derived from storage: after a rollback, or writes that may change it. */
  private forget(): void {
    this.hot = undefined;
    this.dueAt = undefined;
  }

  private contextOf(hot: Hot, now: Instant): WorkspaceContext {
    return { store: this.store, subscription: hot.subscription, limits: hot.limits, now };
  }

  /**
   * Whether a check may decide from memory. A freshly started object does not know whether
   * due work is pending, and a check never writes: it settles in a transaction that it rolls
   * back if anything was written. Nothing written means nothing was due, and the workspace is
   * settled until its next deadline; otherwise checks evaluate storage lazily until a
   * mutation or the alarm (armed for that work) applies it.
   */
  private settledForCheck(hot: Hot, now: Instant): boolean {
    if (isSettled(hot, now)) return true;
    if (hot.settledUntil !== undefined || hot.duePending) return false;
    const written = this.store.rowsWritten;
    let settled: Hot | null = null;
    try {
      this.ctx.storage.transactionSync(() => {
        settled = this.settleAll(now);
        if (this.store.rowsWritten !== written) throw new DueWorkPending();
      });
    } catch (error) {
      if (!(error instanceof DueWorkPending)) throw error;
      hot.duePending = true;
      return false;
    }
    this.hot = settled;
    return settled !== null && isSettled(settled, now);
  }

  /** The context of a hot call: settled at `now`, with the credit counters in memory. */
  private hotContext(hot: Hot, now: Instant): WorkspaceContext {
    const ctx = this.contextOf(hot, now);
    hot.counters ??= loadCreditCounters(ctx);
    return { ...ctx, counters: hot.counters };
  }

  /**
   * Applies every domain's due work at `now` and answers the settled state with its next
   * deadline. Storage only (no counters): the caller stores the answer once its transaction
   * commits.
   */
  private settleAll(now: Instant): Hot | null {
    const subscription = loadSubscription(this.store);
    if (subscription === undefined) return null;
    const hot: Hot = { subscription, limits: effectiveLimits(subscription) };
    const ctx = this.contextOf(hot, now);
    for (const domain of DOMAINS) domain.settle(ctx);
    hot.settledUntil = this.settleDeadline(ctx) ?? Number.POSITIVE_INFINITY;
    return hot;
  }

  private settleDeadline(ctx: WorkspaceContext): Instant | null {
    return earliest(...DOMAINS.map((domain) => domain.nextDeadline(ctx)));
  }

  // ---- the ways in: read, mutate, and the hot path -----------------------------------------

  /** Reads never write: due work is evaluated lazily by the views themselves. */
  private read<T>(view: (ctx: WorkspaceContext) => Outcome<T>): Reply<T> {
    const hot = this.warm();
    return hot === null ? noSubscription() : view(this.contextOf(hot, this.now()));
  }

  /** A read that awaits (a feed signing its cursors): the same, asynchronously. */
  private async readAsync<T>(
    view: (ctx: WorkspaceContext) => Promise<Outcome<T>>,
  ): Promise<Reply<T>> {
    const hot = this.warm();
    return hot === null ? noSubscription() : view(this.contextOf(hot, this.now()));
  }

  /** Runs `body` in one transaction; a throw (a Rollback or a bug) drops every cache. */
  private transaction<T>(body: () => T): T | Outcome<never> {
    try {
      return this.ctx.storage.transactionSync(body);
    } catch (error) {
      this.forget();
      if (error instanceof Rollback) return error.outcome;
      throw error;
    }
  }

  /** Replays a known Idempotency-Key (undefined: a new call); a reuse with another body rolls back. */
  private prior<T>(meta: CallMeta, now: Instant): Reply<T> | undefined {
    const { idempotencyKey: key, fingerprint } = meta;
    if (key === undefined || fingerprint === undefined) return undefined;
    const prior = findPrior(this.store, key, fingerprint, now);
    if (prior.kind === "conflict") {
      throw new Rollback(
        fail(
          "idempotency_conflict",
          "This Idempotency-Key was used with a different request in the last 24 hours.",
        ),
      );
    }
    return prior.kind === "replay"
      ? { ...(prior.outcome as Outcome<T>), replayed: true }
      : undefined;
  }

  private remember(meta: CallMeta, outcome: Outcome<unknown>, now: Instant): void {
    const { idempotencyKey: key, fingerprint } = meta;
    if (key !== undefined && fingerprint !== undefined) {
      remember(this.store, key, fingerprint, outcome, now);
    }
  }

  /**
   * Runs one mutation atomically: replays a known Idempotency-Key, applies due work, runs the
   * operation, reconciles every domain with what it changed, and remembers the answer, all in
   * one transaction. An error outcome rolls back everything, so bad input changes nothing.
   */
  private async mutate<T>(
    meta: CallMeta,
    operation: (now: Instant) => Outcome<T>,
  ): Promise<Reply<T>> {
    const test = this.testClock();
    const now = test ?? Date.now();
    let settled: Hot | null | undefined;
    const reply = this.transaction((): Reply<T> => {
      const replay = this.prior<T>(meta, now);
      if (replay !== undefined) return replay;
      const hot = this.warm();
      if (hot === null || !isSettled(hot, now)) this.settleAll(now);
      const outcome = operation(now);
      if (!outcome.ok) throw new Rollback(outcome);
      // The operation may have changed a limit, a pool or the subscription itself.
      const after = this.settleAll(now);
      this.remember(meta, outcome, now);
      settled = after;
      return outcome;
    });
    if (settled !== undefined) {
      this.hot = settled;
      this.dueAt = undefined;
      this.wroteHistory(now);
    }
    await this.armAlarm(now, test !== undefined);
    return reply;
  }

  /** An operation that needs the subscription; a workspace without one answers 404. */
  private async mutateWorkspace<T>(
    meta: CallMeta,
    operation: (ctx: WorkspaceContext) => Outcome<T>,
  ): Promise<Reply<T>> {
    return this.mutate(meta, (now) => {
      const hot = this.warm();
      return hot === null ? noSubscription() : operation(this.contextOf(hot, now));
    });
  }

  /**
   * The hot path's mutation (consume, reserve, commit, release): the same transaction as
   * `mutate`, but settling only when a deadline passed, deciding from the counters in memory,
   * and without the closing reconcile: these calls change no limit, and consume and commit
   * announce the thresholds they cross themselves.
   */
  private async mutateHot<T>(
    meta: CallMeta,
    operation: (ctx: WorkspaceContext) => Outcome<T>,
  ): Promise<Reply<T>> {
    const test = this.testClock();
    const now = test ?? Date.now();
    const events = this.store.eventsRecorded;
    let wrote = false;
    let next: Hot | undefined;
    const reply = this.transaction((): Reply<T> => {
      const replay = this.prior<T>(meta, now);
      if (replay !== undefined) return replay;
      let hot = this.warm();
      if (hot === null) throw new Rollback(noSubscription());
      if (!isSettled(hot, now)) {
        const settled = this.settleAll(now);
        if (settled === null) throw new Rollback(noSubscription());
        hot = settled;
        this.dueAt = undefined;
      }
      const outcome = operation(this.hotContext(hot, now));
      if (!outcome.ok) throw new Rollback(outcome);
      this.remember(meta, outcome, now);
      wrote = true;
      next = hot;
      return outcome;
    });
    if (!wrote || next === undefined) return reply;
    this.hot = next;
    const holdExpiry = next.counters?.holdExpiry ?? null;
    if (this.store.eventsRecorded !== events) this.dueAt = undefined;
    else if (this.dueAt !== undefined) this.dueAt = earliest(this.dueAt, holdExpiry);
    this.wroteHistory(now);
    await this.armAlarm(now, test !== undefined);
    return reply;
  }

  // ---- deadlines ---------------------------------------------------------------------------

  /**
   * When this workspace next has due work: its domains' deadlines, its next webhook delivery and
   * its oldest event's end of retention. Null on a frozen test clock, which only moves by PUT
   * test-clock (that call runs the due work itself), so such a workspace is neither alarmed nor
   * in the due index.
   */
  private computeDueAt(now: Instant): Instant | null {
    if (this.dueAt === undefined) {
      const hot = this.warm();
      let settle: Instant | null = null;
      if (hot !== null) {
        settle =
          hot.settledUntil !== undefined
            ? earliest(hot.settledUntil, hot.counters?.holdExpiry)
            : this.settleDeadline(this.contextOf(hot, now));
      }
      this.dueAt = earliest(
        settle === Number.POSITIVE_INFINITY ? null : settle,
        deliveryDeadline(this.store, webhookConfigured(this.env)),
        retentionDeadline(this.store),
      );
    }
    return this.dueAt;
  }

  /** When the oldest kept history passes its retention, but not sooner than the interval. */
  private pruneDeadline(now: Instant): Instant | null {
    const at = earliest(
      idempotencyPruneDeadline(this.store),
      ...DOMAINS.map((domain) => domain.pruneDeadline?.(this.store)),
    );
    return at === null ? null : Math.max(at, now + PRUNE_INTERVAL_MS);
  }

  /** After a call that wrote history: every PRUNE_AFTER_WRITES, housekeeping gets its alarm. */
  private wroteHistory(now: Instant): void {
    if (++this.historyWrites < PRUNE_AFTER_WRITES || this.pruneAt !== null) return;
    this.historyWrites = 0;
    this.pruneAt = this.pruneDeadline(now);
  }

  private indexed(): Instant | null {
    if (this.indexedAt === undefined) {
      this.indexedAt = this.store.getMeta<Instant | null>(INDEXED_KEY) ?? null;
    }
    return this.indexedAt;
  }

  /** Sets the alarm when it moved; the time last set is kept, so no call awaits getAlarm(). */
  private async setAlarm(at: Instant | null): Promise<void> {
    if (this.alarmAt !== undefined && this.alarmAt === at) return;
    // Recorded before awaiting: storage applies alarm changes in call order, like this field.
    this.alarmAt = at;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  /**
   * After a mutation: one alarm serves every deadline and housekeeping. When the deadline moved
   * earlier than the one in the due index, the alarm fires now instead and the due work reports
   * it to the index: a check or spend never waits for another object. (A later deadline needs
   * no report: the cron would only visit early, and that visit corrects the index.)
   */
  private async armAlarm(now: Instant, frozen: boolean): Promise<void> {
    this.fleetAlarm = false;
    if (frozen) return this.setAlarm(null);
    const dueAt = this.computeDueAt(now);
    const indexed = this.indexed();
    const indexBehind = dueAt !== null && (indexed === null || dueAt < indexed);
    // An alarm already set to fire by now serves a report that is due now.
    if (indexBehind && this.alarmAt != null && this.alarmAt <= now) return;
    const due = indexBehind ? Math.min(dueAt, now) : dueAt;
    const work = earliest(due, this.pruneAt);
    const report = this.fleet.dueAt(this.hot?.subscription);
    this.fleetAlarm = report !== null && (work === null || report < work);
    await this.setAlarm(earliest(work, report));
  }

  /** Tells the due index this workspace's next deadline; false when the index is unreachable. */
  private async reportDueAt(dueAt: Instant | null): Promise<boolean> {
    const workspaceId = this.warm()?.subscription.workspaceId;
    if (workspaceId === undefined) return true;
    try {
      await dueShardFor(this.env, workspaceId).report(workspaceId, dueAt);
    } catch (error) {
      console.error(`due index report failed for workspace ${workspaceId}`, error);
      return false;
    }
    this.store.setMeta(INDEXED_KEY, dueAt);
    this.indexedAt = dueAt;
    return true;
  }

  /**
   * Applies everything due now: the same work the alarm, the cron and test clocks trigger. Runs
   * are chained, one at a time per workspace, so concurrent triggers never send an event twice;
   * each run settles every domain and prunes expired history in one transaction (reloading
   * everything it keeps in memory from storage), then delivers due webhooks (outside any
   * transaction: checks and spends proceed meanwhile), then reports the next deadline to the
   * due index and arms the alarm.
   */
  runDueWork(): Promise<{ now: string }> {
    const run = this.dueWork.then(() => this.applyDueWork());
    this.dueWork = run.catch(() => undefined);
    return run;
  }

  private async applyDueWork(): Promise<{ now: string }> {
    const now = this.now();
    // Whatever brought this run (the alarm, the cron, a test), the alarm is set again at its end.
    this.alarmAt = undefined;
    this.forget();
    let morePrune = false;
    let settled: Hot | null;
    try {
      settled = this.ctx.storage.transactionSync(() => {
        const hot = this.settleAll(now);
        pruneEvents(this.store, now);
        morePrune = pruneIdempotency(this.store, now);
        for (const domain of DOMAINS) {
          morePrune = (domain.prune?.(this.store, now) ?? false) || morePrune;
        }
        return hot;
      });
    } catch (error) {
      this.forget();
      throw error;
    }
    this.hot = settled;
    this.historyWrites = 0;
    this.pruneAt = morePrune ? now : null;
    const workspaceId = settled?.subscription.workspaceId;
    if (workspaceId !== undefined) {
      await deliverDue(this.store, webhookConfig(this.env), workspaceId, () => this.now());
    }
    if (this.fleet.isDue(this.hot?.subscription)) await this.reportToFleet();
    // Recomputed from storage: deliveries change the delivery deadline, and a mutation may have
    // moved a deadline while they (or the report) were in flight; armAlarm then sees the
    // index behind and fires again at once.
    this.dueAt = undefined;
    const frozen = this.testClock() !== undefined;
    const reported = await this.reportDueAt(frozen ? null : this.computeDueAt(this.now()));
    this.dueAt = undefined;
    const after = this.now();
    if (reported) await this.armAlarm(after, frozen);
    else
      await this.setAlarm(
        earliest(frozen ? null : this.computeDueAt(after), after + INDEX_RETRY_MS),
      );
    return { now: iso(now) };
  }

  override async alarm(): Promise<void> {
    if (!this.fleetAlarm) return void (await this.runDueWork());
    // Armed for the fleet report alone (earlier than any due work): report and re-arm.
    this.fleetAlarm = false;
    this.alarmAt = undefined;
    await this.reportToFleet();
    await this.armAlarm(this.now(), this.testClock() !== undefined);
  }

  /** Reports this workspace's row and decision counts to the fleet index now (docs/fleet.md). */
  reportToFleet(): Promise<boolean> {
    return this.fleet.report(() => {
      const hot = this.warm();
      return hot === null ? null : fleetRow(this.contextOf(hot, this.now()));
    });
  }

  // ---- subscription ------------------------------------------------------------------------

  putSubscription(
    workspaceId: string,
    input: SubscriptionInput,
    meta: CallMeta,
  ): Promise<Reply<SubscriptionView>> {
    return this.mutate(meta, (now) => {
      const subscription = saveSubscription(this.store, workspaceId, input, now);
      return ok(subscriptionView(subscription));
    });
  }

  getSubscription(): Reply<SubscriptionView> {
    return this.read((ctx) => ok(subscriptionView(ctx.subscription, ctx.limits)));
  }

  usage(): Reply<UsageView> {
    return this.read((ctx) => ok(usageView(ctx)));
  }

  // ---- test clock --------------------------------------------------------------------------

  /** Freezes the workspace clock (first call) or moves it forward, then runs due work. */
  async setTestClock(at: Instant): Promise<Reply<{ now: string; frozen: true }>> {
    const move = moveTestClock(this.testClock(), at);
    if (!move.ok) return move;
    this.store.setMeta(TEST_CLOCK_KEY, at);
    await this.runDueWork();
    return ok({ now: iso(at), frozen: true });
  }

  // ---- agents ------------------------------------------------------------------------------

  async createAgent(input: AgentRef, meta: CallMeta): Promise<Reply<AgentDecision>> {
    const reply = await this.mutateWorkspace(meta, (ctx) => createAgent(ctx, input));
    return this.fleet.decided(reply, this.hot?.subscription.plan);
  }

  async activateAgent(id: string, meta: CallMeta): Promise<Reply<AgentDecision>> {
    const reply = await this.mutateWorkspace(meta, (ctx) => activateAgent(ctx, id));
    return this.fleet.decided(reply, this.hot?.subscription.plan);
  }

  deactivateAgent(id: string, meta: CallMeta): Promise<Reply<AgentDecision>> {
    return this.mutateWorkspace(meta, (ctx) => deactivateAgent(ctx, id));
  }

  deleteAgent(id: string, meta: CallMeta): Promise<Reply<AgentDeletion>> {
    return this.mutateWorkspace(meta, (ctx) => deleteAgent(ctx, id));
  }

  listAgents(): Reply<AgentList> {
    return this.read((ctx) => ok(listAgents(ctx)));
  }

  // ---- channels ----------------------------------------------------------------------------

  connectChannel(
    kind: ChannelKind,
    input: channels.ConnectInput,
    meta: CallMeta,
  ): Promise<Reply<channels.ConnectAnswer>> {
    return this.mutateWorkspace(meta, (ctx) =>
      channels.connectChannel(ctx, kind, input, meta.role),
    );
  }

  disconnectChannel(
    kind: ChannelKind,
    id: string,
    meta: CallMeta,
  ): Promise<Reply<channels.DisconnectAnswer>> {
    return this.mutateWorkspace(meta, (ctx) => channels.disconnectChannel(ctx, kind, id));
  }

  /** Connects (or, for the platform, imports) up to 1,000 channels in order, in one transaction. */
  connectChannels(
    kind: ChannelKind,
    inputs: channels.ConnectInput[],
    meta: CallMeta,
  ): Promise<Reply<channels.ChannelBatch>> {
    return this.mutateWorkspace(meta, (ctx) =>
      channels.connectChannels(ctx, kind, inputs, meta.role),
    );
  }

  listChannels(
    kind: ChannelKind,
    page: channels.ChannelPage,
  ): Promise<Reply<channels.ChannelList>> {
    return this.readAsync((ctx) => channels.listChannels(ctx, kind, page));
  }

  // ---- credits -----------------------------------------------------------------------------

  credits() {
    return this.read((ctx) => ok(creditsView(ctx)));
  }

  /** The billing page's chart: the period's ledger summed by day and feature. */
  creditsDaily() {
    return this.read((ctx) => ok(dailyCredits(ctx)));
  }

  creditLedger(after: string | undefined, limit: number) {
    return this.readAsync((ctx) => ledgerPage(ctx, after, limit));
  }

  /**
   * The preflight: a read, so it never writes storage. Settled, it decides from the counters in
   * memory and reads nothing; after a deadline passed it evaluates storage lazily instead.
   */
  checkCredits(input: SpendRequest): Reply<SpendDecision> {
    const hot = this.warm();
    if (hot === null) return noSubscription();
    const now = this.now();
    const plan = hot.subscription.plan;
    if (!this.settledForCheck(hot, now)) {
      return this.fleet.decided(ok(checkCredits(this.contextOf(hot, now), input)), plan);
    }
    const settled = this.hot ?? hot;
    return this.fleet.decided(ok(checkCredits(this.hotContext(settled, now), input)), plan);
  }

  async consumeCredits(input: SpendRequest, meta: CallMeta) {
    const reply = await this.mutateHot(meta, (ctx) => ok(consumeCredits(ctx, input, meta)));
    return this.fleet.decided(reply, this.hot?.subscription.plan);
  }

  async reserveCredits(input: ReserveRequest, meta: CallMeta) {
    const reply = await this.mutateHot(meta, (ctx) => ok(reserveCredits(ctx, input, meta)));
    return this.fleet.decided(reply, this.hot?.subscription.plan);
  }

  getReservation(id: string) {
    return this.read((ctx) => getReservation(ctx, id));
  }

  commitReservation(id: string, credits: number, meta: CallMeta) {
    return this.mutateHot(meta, (ctx) => commitReservation(ctx, id, credits, meta));
  }

  releaseReservation(id: string, meta: CallMeta) {
    return this.mutateHot(meta, (ctx) => releaseReservation(ctx, id, meta));
  }

  setFeatureLimit(feature: AiFeature, limit: number | null, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => setFeatureLimit(ctx, feature, limit));
  }

  putCreditPackage(input: PackageInput, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => putPackage(ctx, input));
  }

  async consumeCopilotQuestion(meta: CallMeta) {
    const reply = await this.mutateWorkspace(meta, (ctx) => ok(consumeQuestion(ctx, meta)));
    return this.fleet.decided(reply, this.hot?.subscription.plan);
  }

  // ---- events ------------------------------------------------------------------------------

  events(after: string | undefined, limit: number): Promise<Reply<EventsPage>> {
    return this.readAsync((ctx) =>
      eventsPage(ctx.store, ctx.subscription.workspaceId, after, limit),
    );
  }

  // ---- entities ----------------------------------------------------------------------------

  createEntity(kind: EntityKind, id: string, meta: CallMeta): Promise<Reply<EntityChange>> {
    return this.mutateWorkspace(meta, (ctx) => createEntity(ctx, kind, id));
  }

  closeLead(id: string, outcome: LeadOutcome, meta: CallMeta): Promise<Reply<EntityChange>> {
    return this.mutateWorkspace(meta, (ctx) => closeLead(ctx, id, outcome));
  }

  reopenLead(id: string, meta: CallMeta): Promise<Reply<EntityChange>> {
    return this.mutateWorkspace(meta, (ctx) => reopenLead(ctx, id));
  }

  deleteEntity(kind: EntityKind, id: string, meta: CallMeta): Promise<Reply<EntityDeletion>> {
    return this.mutateWorkspace(meta, (ctx) => deleteEntity(ctx, kind, id));
  }

  getEntity(kind: EntityKind, id: string): Reply<EntityView> {
    return this.read((ctx) => readEntity(ctx, kind, id));
  }

  /** Up to 1,000 creates in order, in one transaction (a repeated or known id counts once). */
  createEntities(kind: EntityKind, ids: string[], meta: CallMeta): Promise<Reply<EntityBatch>> {
    return this.mutateWorkspace(meta, (ctx) => createEntities(ctx, kind, ids));
  }

  /** Up to 1,000 entities' status at once; a read. */
  lookupEntities(kind: EntityKind, ids: string[]): Reply<EntityLookup> {
    return this.read((ctx) => lookupEntities(ctx, kind, ids));
  }
}
