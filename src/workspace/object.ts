import { DurableObject } from "cloudflare:workers";
import { dueShardFor } from "../cron/dueIndex";
import type { Env } from "../env";
import { fail, type Outcome, ok } from "../errors";
import type { AgentRef } from "../policy/agents";
import type { AiFeature } from "../policy/catalogue";
import type { ChannelKind } from "../policy/channels";
import type { SpendDecision } from "../policy/credits";
import type { EntityKind, LeadOutcome } from "../policy/entities";
import { moveTestClock } from "../policy/testClock";
import { earliest, type Instant, iso } from "../policy/time";
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
import { Alarm } from "./alarm";
import * as channels from "./channels";
import type { CallMeta, WorkspaceContext } from "./context";
import {
  checkCredits,
  commitReservation,
  consumeCredits,
  consumeQuestion,
  creditsView,
  dailyCredits,
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
import { cursorMigrations } from "./cursors";
import {
  afterDueWork,
  DOMAINS,
  domainsDeadline,
  dueDeadline,
  pruneDeadline,
  pruneDomains,
  type Site,
  settleDomains,
} from "./domains";
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
import { type EventsPage, eventsPage, noteWebhookConfigured } from "./events";
import { findPrior, remember } from "./idempotency";
import { Memory, type Settled } from "./memory";
import {
  loadSubscription,
  type SubscriptionInput,
  type SubscriptionView,
  saveSubscription,
  subscriptionView,
} from "./subscription";
import { type UsageView, usageView } from "./usage";
import { webhookConfigured } from "./webhook";

const coreMigrations: Migration[] = [
  {
    name: "meta_v1",
    statements: ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
  },
  ...cursorMigrations,
];

/** An outcome as the caller sees it: `replayed` marks an answer served from an Idempotency-Key. */
export type Reply<T> = Outcome<T> & { replayed?: boolean };

/** Thrown inside a transaction to undo its writes and answer an error instead. */
class Rollback {
  constructor(readonly outcome: Outcome<never>) {}
}

const TEST_CLOCK_KEY = "testClock";

const noSubscription = () =>
  fail<never>("not_found", "This workspace has no subscription yet; PUT its subscription first.");

/**
 * Reads through `exec` as it was when the object started: the paired check's reads are the
 * tests' instrument, not the service's cost, so an SQL counter wrapped around `sql.exec` later
 * (test/workspace/statements.test.ts) measures the service alone. Only `exec` is ever used.
 */
const uncounted = (sql: SqlStorage): SqlStorage =>
  ({ exec: sql.exec.bind(sql) }) as Pick<SqlStorage, "exec"> as SqlStorage;

/**
 * One per workspace: the atomic counter and ledger of every limit. Each call reads the clock
 * once, runs pure policy inside one synchronous transaction (no await between reading and
 * writing a balance), then arms the single alarm that serves every deadline.
 *
 * The preflight (check, consume, reserve, commit, release) decides from what the object keeps
 * in memory (memory.ts) and settles only after a deadline passed; the alarm (alarm.ts) prunes
 * history. A check reads nothing and a consume writes a counter and a ledger row
 * (test/workspace/statements).
 */
export class WorkspaceObject extends DurableObject<Env> {
  private readonly store: Store;
  private readonly site: Site;
  private readonly memory: Memory;
  private readonly alarms: Alarm;
  /** Where test clocks are on: storage as the paired check reads it after every mutation. */
  private readonly audit: Store | undefined;
  /** The due-work run in progress: runs are chained so deliveries never overlap (see runDueWork). */
  private dueWork: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new Store(ctx.storage.sql);
    this.site = { store: this.store, env };
    this.memory = new Memory(this.store, {
      loadSubscription,
      loadCounters: loadCreditCounters,
      settle: settleDomains,
      deadline: domainsDeadline,
    });
    this.alarms = new Alarm({
      store: this.store,
      // Looked up at each call, never bound: a test may wrap the storage's methods.
      setAlarm: (at) => ctx.storage.setAlarm(at),
      deleteAlarm: () => ctx.storage.deleteAlarm(),
      settleDeadline: (now) => this.memory.settleWindow(now),
      dueDeadline: () => dueDeadline(this.site),
      pruneDeadline: () => pruneDeadline(this.store),
      workspaceId: () => this.memory.workspaceId(),
      report: (workspaceId, at) => dueShardFor(env, workspaceId).report(workspaceId, at),
    });
    this.audit = env.TEST_CLOCKS === "on" ? new Store(uncounted(ctx.storage.sql)) : undefined;
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

  // ---- the ways in: read, mutate, and the hot path -----------------------------------------

  /** Reads never write: due work is evaluated lazily by the views themselves. */
  private read<T>(view: (ctx: WorkspaceContext) => Outcome<T>): Reply<T> {
    const ctx = this.memory.context(this.now());
    return ctx === null ? noSubscription() : view(ctx);
  }

  /** A read that awaits (a feed signing its cursors): the same, asynchronously. */
  private async readAsync<T>(
    view: (ctx: WorkspaceContext) => Promise<Outcome<T>>,
  ): Promise<Reply<T>> {
    const ctx = this.memory.context(this.now());
    return ctx === null ? noSubscription() : view(ctx);
  }

  /** Runs `body` in one transaction; a throw (a Rollback or a bug) drops every cache. */
  private transaction<T>(body: () => T): T | Outcome<never> {
    try {
      return this.ctx.storage.transactionSync(body);
    } catch (error) {
      this.memory.forget();
      this.alarms.invalidate();
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
    let settled: { state: Settled } | undefined;
    const reply = this.transaction((): Reply<T> => {
      const replay = this.prior<T>(meta, now);
      if (replay !== undefined) return replay;
      if (!this.memory.isSettled(now)) this.memory.settle(now);
      const outcome = operation(now);
      if (!outcome.ok) throw new Rollback(outcome);
      // The operation may have changed a limit, a pool or the subscription itself.
      const after = this.memory.settle(now);
      this.remember(meta, outcome, now);
      settled = { state: after };
      return outcome;
    });
    if (settled !== undefined) {
      this.memory.adopt(settled.state);
      this.alarms.invalidate();
      this.alarms.wroteHistory(now);
    }
    await this.alarms.arm(now, test !== undefined);
    this.pairedCheck();
    return reply;
  }

  /** An operation that needs the subscription; a workspace without one answers 404. */
  private async mutateWorkspace<T>(
    meta: CallMeta,
    operation: (ctx: WorkspaceContext) => Outcome<T>,
  ): Promise<Reply<T>> {
    return this.mutate(meta, (now) => {
      const ctx = this.memory.context(now);
      return ctx === null ? noSubscription() : operation(ctx);
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
    const reply = this.transaction((): Reply<T> => {
      const replay = this.prior<T>(meta, now);
      if (replay !== undefined) return replay;
      const hot = this.memory.hotContext(now);
      if (hot === null) throw new Rollback(noSubscription());
      if (hot.settled) this.alarms.invalidate();
      const outcome = operation(hot.ctx);
      if (!outcome.ok) throw new Rollback(outcome);
      this.remember(meta, outcome, now);
      wrote = true;
      return outcome;
    });
    if (!wrote) return reply;
    // A new event may move the delivery and retention deadlines; a hold moves only its own.
    if (this.store.eventsRecorded !== events) this.alarms.invalidate();
    else this.alarms.noteDeadline(this.memory.holdExpiry());
    this.alarms.wroteHistory(now);
    await this.alarms.arm(now, test !== undefined);
    this.pairedCheck();
    return reply;
  }

  /**
   * Where test clocks are on (the tests, `npm start`), memory is compared with storage after
   * every mutation, and any difference throws: a write path that forgets memory fails its test
   * instead of drifting in production, where this never runs (TEST_CLOCKS off).
   */
  private pairedCheck(): void {
    const audit = this.audit;
    if (audit === undefined) return;
    // The clock too is read through `audit`, so the check adds nothing to a counted call.
    const now = audit.getMeta<Instant>(TEST_CLOCK_KEY) ?? Date.now();
    const domains = this.memory.verify(audit, now);
    this.alarms.verify(earliest(domains, dueDeadline({ ...this.site, store: audit })));
  }

  // ---- due work ----------------------------------------------------------------------------

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
    this.alarms.startDueWork();
    this.memory.forget();
    let more = false;
    let settled: Settled;
    try {
      settled = this.ctx.storage.transactionSync(() => {
        const state = this.memory.settle(now);
        more = pruneDomains(this.store, now);
        return state;
      });
    } catch (error) {
      this.memory.forget();
      this.alarms.invalidate();
      throw error;
    }
    this.memory.adopt(settled);
    this.alarms.pruned(now, more);
    const workspaceId = settled?.subscription.workspaceId;
    if (workspaceId !== undefined) await afterDueWork(this.site, workspaceId, () => this.now());
    await this.alarms.finishDueWork(this.testClock() !== undefined, () => this.now());
    this.pairedCheck();
    return { now: iso(now) };
  }

  override async alarm(): Promise<void> {
    await this.runDueWork();
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

  createAgent(input: AgentRef, meta: CallMeta): Promise<Reply<AgentDecision>> {
    return this.mutateWorkspace(meta, (ctx) => createAgent(ctx, input));
  }

  activateAgent(id: string, meta: CallMeta): Promise<Reply<AgentDecision>> {
    return this.mutateWorkspace(meta, (ctx) => activateAgent(ctx, id));
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
    const ctx = this.memory.checkContext(this.now(), (body) =>
      this.ctx.storage.transactionSync(body),
    );
    return ctx === null ? noSubscription() : ok(checkCredits(ctx, input));
  }

  consumeCredits(input: SpendRequest, meta: CallMeta) {
    return this.mutateHot(meta, (ctx) => ok(consumeCredits(ctx, input, meta)));
  }

  reserveCredits(input: ReserveRequest, meta: CallMeta) {
    return this.mutateHot(meta, (ctx) => ok(reserveCredits(ctx, input, meta)));
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

  consumeCopilotQuestion(meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => ok(consumeQuestion(ctx, meta)));
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
