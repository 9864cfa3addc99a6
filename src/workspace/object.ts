import { DurableObject } from "cloudflare:workers";
import { dueShardFor } from "../dueIndex";
import { type Outcome, ok } from "../outcome";
import type { AgentRef } from "../policy/agents";
import type { AiFeature } from "../policy/catalogue";
import type { ChannelKind } from "../policy/channels";
import type { EntityKind, LeadOutcome } from "../policy/entities";
import { moveTestClock } from "../policy/testClock";
import { type Instant, iso } from "../policy/time";
import { migrate, Store } from "../storage";
import * as agents from "./agents";
import { Alarm } from "./alarm";
import * as history from "./archive/statements";
import * as channels from "./channels";
import type { CallMeta, Maybe, WorkspaceContext } from "./context";
import * as credit from "./credits";
import * as domains from "./domains";
import * as entities from "./entities";
import type { WorkspaceEnv as Env } from "./env";
import { type EventsPage, eventsPage, noteWebhookConfigured } from "./events";
import { type FleetReporter, reporterFor } from "./fleet";
import { rememberCall } from "./idempotency";
import { type Live, liveFor } from "./live";
import { Memory, type Settled } from "./memory";
import { auditStore, pairedCheck, TEST_CLOCK_KEY } from "./paired";
import { noSubscription, type Reply, Rollback, replayOf, serialized } from "./reply";
import { memorySource } from "./source";
import * as subscription from "./subscription";
import { type UsageView, usageView } from "./usage";
import { webhookConfigured } from "./webhook";

export type { Reply } from "./reply";

/**
 * One per workspace: the atomic counter and ledger of every limit. Each call reads the clock
 * once, runs pure policy inside one synchronous transaction (no await between reading and
 * writing a balance), then arms the single alarm that serves every deadline.
 *
 * The hot path (check, consume, reserve, commit, release) decides from memory (memory.ts) and
 * settles only past a deadline; the alarm (alarm.ts) rolls up, archives and prunes history. A
 * check reads nothing; a consume writes a counter and a ledger row (test/workspace/statements).
 */
export class WorkspaceObject extends DurableObject<Env> {
  private readonly store: Store;
  private readonly site: domains.Site;
  private readonly memory: Memory;
  private readonly alarms: Alarm;
  /** The fleet index's reports and decision counts (fleet.ts), run from the alarm. */
  private readonly fleet: FleetReporter;
  /** Where test clocks are on: storage as the paired check reads it after every mutation. */
  private readonly audit: Store | undefined;
  /** The live balance's tickets and sockets (live.ts), told of every committed change. */
  private readonly live: Live;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new Store(ctx.storage.sql);
    this.site = { store: this.store, env, transactionSync: (b) => ctx.storage.transactionSync(b) };
    this.memory = new Memory(this.store, memorySource(ctx, env));
    const wake = () => this.alarms.fleetWake();
    this.fleet = reporterFor(env, this.store, this.memory, () => this.now(), wake);
    this.alarms = new Alarm({
      store: this.store,
      // Looked up at each call, never bound: a test may wrap the storage's methods.
      setAlarm: (at) => ctx.storage.setAlarm(at),
      deleteAlarm: () => ctx.storage.deleteAlarm(),
      settleDeadline: (now) => this.memory.settleWindow(now),
      dueDeadline: () => domains.dueDeadline(this.site),
      pruneDeadline: () => domains.pruneDeadline(this.store),
      workspaceId: () => this.memory.workspaceId(),
      report: (workspaceId, at) => dueShardFor(env, workspaceId).report(workspaceId, at),
      testClock: () => this.testClock(),
      settleAndPrune: (now) => this.memory.reload(now),
      afterDueWork: (workspaceId) => domains.afterDueWork(this.site, workspaceId, () => this.now()),
      fleet: this.fleet,
      rollups: new domains.RollupWork(this.site, this.memory),
    });
    this.audit = auditStore(ctx.storage.sql, env);
    this.live = liveFor(ctx, this.store, this.memory, () => this.now());
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.store, domains.migrations());
      this.fleet.load();
      // Decides whether the events recorded from now on are delivered (`pending`) or `disabled`.
      noteWebhookConfigured(this.store, webhookConfigured(env));
    });
  }

  /** Read on every call, never cached: a test may move it in storage to model a missed alarm. */
  private testClock(): Instant | undefined {
    return this.env.TEST_CLOCKS === "on" ? this.store.getMeta<Instant>(TEST_CLOCK_KEY) : undefined;
  }

  /** The one clock read of a call: the workspace's frozen test clock, or real time. */
  private now(): Instant {
    return this.testClock() ?? Date.now();
  }

  // ---- the ways in: the clock, read, mutate, and the hot path ------------------------------
  /** Reads never write: due work is evaluated lazily by the views (or feeds, which await). */
  private read<R>(view: (ctx: WorkspaceContext) => R): Maybe<R | Reply<never>> {
    return this.known((now) => {
      const ctx = this.memory.context(now);
      return ctx === null ? noSubscription() : view(ctx);
    });
  }

  /** Runs `decide` once the catalogue schedule is known at the clock (schedule.ts). */
  private known<T>(decide: (now: Instant) => T): Maybe<T> {
    const now = this.now();
    const stale = this.memory.schedule.fresh(now);
    return stale === undefined ? decide(now) : stale.then(() => decide(now));
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

  /**
   * One mutation, atomically: replays a known Idempotency-Key, applies due work, runs the
   * operation, reconciles every domain and remembers the answer in one transaction; an error
   * outcome rolls back everything, so bad input changes nothing.
   */
  private async mutate<T>(
    meta: CallMeta,
    operation: (now: Instant) => Outcome<T>,
  ): Promise<Reply<T>> {
    const test = this.testClock();
    const now = test ?? Date.now();
    await this.memory.schedule.fresh(now);
    let settled: { state: Settled } | undefined;
    const reply = this.transaction((): Reply<T> => {
      const replay = replayOf<T>(this.store, meta, now);
      if (replay !== undefined) return replay;
      if (!this.memory.isSettled(now)) this.memory.settle(now);
      const outcome = operation(now);
      if (!outcome.ok) throw new Rollback(outcome);
      // The operation may have changed a limit, a pool or the subscription itself.
      const after = this.memory.settle(now);
      rememberCall(this.store, meta, outcome, now);
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
    this.live.changed();
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
   * The hot path's mutation (consume, reserve, commit, release): `mutate`'s transaction, settling
   * only past a deadline, deciding from memory, without the closing reconcile (these calls change
   * no limit; consume and commit announce the thresholds they cross).
   */
  private async mutateHot<T>(
    meta: CallMeta,
    operation: (ctx: WorkspaceContext) => Outcome<T>,
  ): Promise<Reply<T>> {
    const test = this.testClock();
    const now = test ?? Date.now();
    const stale = this.memory.schedule.fresh(now);
    if (stale !== undefined) await stale;
    const events = this.store.eventsRecorded;
    let wrote = false;
    const reply = this.transaction((): Reply<T> => {
      const replay = replayOf<T>(this.store, meta, now);
      if (replay !== undefined) return replay;
      const hot = this.memory.hotContext(now);
      if (hot === null) throw new Rollback(noSubscription());
      if (hot.settled) this.alarms.invalidate();
      const outcome = operation(hot.ctx);
      if (!outcome.ok) throw new Rollback(outcome);
      rememberCall(this.store, meta, outcome, now);
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
    this.live.changed();
    return reply;
  }

  /** The paired check (paired.ts), where test clocks are on: memory must equal storage. */
  private pairedCheck(): void {
    if (this.audit !== undefined) pairedCheck(this.audit, this.memory, this.alarms, this.site);
  }

  // ---- due work ----------------------------------------------------------------------------
  /** Everything due now (alarm.ts): what the alarm, the cron and test clocks trigger. */
  async runDueWork(): Promise<{ now: string }> {
    await this.memory.schedule.fresh(this.now());
    const done = await this.alarms.runDueWork();
    this.pairedCheck();
    this.live.changed();
    return done;
  }

  override async alarm(): Promise<void> {
    await this.memory.schedule.fresh(this.now());
    await this.alarms.ring();
    this.pairedCheck();
    this.live.changed();
  }

  /** Reports this workspace's row and decision counts to the fleet index now (docs/fleet.md). */
  reportToFleet(): Promise<boolean> {
    return this.fleet.report();
  }

  /** Counts a deciding call's answer by reason for the fleet (fleet.ts): in memory, no SQL. */
  private async counted<T>(reply: Promise<Reply<T>>): Promise<Reply<T>> {
    return this.fleet.decided(await reply, this.memory.remembered()?.plan);
  }

  // ---- subscription ------------------------------------------------------------------------
  putSubscription(workspaceId: string, input: subscription.SubscriptionInput, meta: CallMeta) {
    const known = this.memory.schedule.versions;
    return this.mutate(meta, (now) =>
      subscription.putSubscription(this.store, workspaceId, input, now, known),
    );
  }

  /** The fan-out (docs/catalogue.md): reads the schedule now and re-arms for its next switch. */
  learnCatalogue(): Promise<{ now: string }> {
    return this.memory.schedule.refresh().then(() => this.runDueWork());
  }

  getSubscription(): Maybe<Reply<subscription.SubscriptionView>> {
    return this.read((ctx) =>
      ok(subscription.subscriptionView(ctx.subscription, ctx.limits, ctx.catalogue)),
    );
  }

  usage(): Maybe<Reply<UsageView>> {
    return this.read((ctx) => ok(usageView(ctx)));
  }

  /** Freezes the workspace clock (first call) or moves it forward, then runs due work. */
  async setTestClock(at: Instant): Promise<Reply<{ now: string; frozen: true }>> {
    const move = moveTestClock(this.testClock(), at);
    if (!move.ok) return move;
    this.store.setMeta(TEST_CLOCK_KEY, at);
    await this.runDueWork();
    return ok({ now: iso(at), frozen: true });
  }

  // ---- agents ------------------------------------------------------------------------------
  createAgent(input: AgentRef, meta: CallMeta): Promise<Reply<agents.AgentDecision>> {
    return this.counted(this.mutateWorkspace(meta, (ctx) => agents.createAgent(ctx, input)));
  }

  activateAgent(id: string, meta: CallMeta): Promise<Reply<agents.AgentDecision>> {
    return this.counted(this.mutateWorkspace(meta, (ctx) => agents.activateAgent(ctx, id)));
  }

  deactivateAgent(id: string, meta: CallMeta): Promise<Reply<agents.AgentDecision>> {
    return this.mutateWorkspace(meta, (ctx) => agents.deactivateAgent(ctx, id));
  }

  deleteAgent(id: string, meta: CallMeta): Promise<Reply<agents.AgentDeletion>> {
    return this.mutateWorkspace(meta, (ctx) => agents.deleteAgent(ctx, id));
  }
  listAgents(): Maybe<Reply<agents.AgentList>> {
    return this.read((ctx) => ok(agents.listAgents(ctx)));
  }

  // ---- channels ----------------------------------------------------------------------------
  connectChannel(kind: ChannelKind, input: channels.ConnectInput, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) =>
      channels.connectChannel(ctx, kind, input, meta.role),
    );
  }

  disconnectChannel(kind: ChannelKind, id: string, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => channels.disconnectChannel(ctx, kind, id));
  }

  /** Connects (or, for the platform, imports) up to 1,000 channels in order, in one transaction. */
  connectChannels(kind: ChannelKind, inputs: channels.ConnectInput[], meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) =>
      channels.connectChannels(ctx, kind, inputs, meta.role),
    );
  }

  async listChannels(kind: ChannelKind, page: channels.ChannelPage) {
    return this.read((ctx) => channels.listChannels(ctx, kind, page));
  }

  // ---- credits -----------------------------------------------------------------------------
  credits() {
    return this.read((ctx) => ok(credit.creditsView(ctx)));
  }

  /** The billing page's chart: the period's credits by day and feature (the roll-ups). */
  creditsDaily() {
    return this.read((ctx) => ok(credit.dailyCredits(ctx)));
  }
  async creditLedger(query: credit.LedgerQuery) {
    return this.read((ctx) => credit.ledgerListing(ctx, query));
  }
  creditStatements(before: Instant | undefined, limit: number) {
    return this.read((ctx) => ok(history.statementList(ctx, before, limit)));
  }
  creditStatement(periodStart: Instant) {
    return this.read((ctx) => history.statementAt(ctx, periodStart));
  }
  /** The entry a receipt names (docs/credits.md#receipts). */
  creditLedgerEntry(seq: number) {
    return this.read((ctx) => credit.ledgerEntry(ctx, seq));
  }

  /** The hot path's check, a read: settled, from memory alone; else storage, lazily. */
  checkCredits(input: credit.SpendRequest): Maybe<Reply<credit.SpendAnswer>> {
    return this.known((now) => {
      const ctx = this.memory.checkContext(now);
      if (ctx === null) return noSubscription();
      return this.fleet.decided(credit.checkCredits(ctx, input), ctx.subscription.plan);
    });
  }

  /** The check with its 200 body as JSON, for the fast lane (docs/benchmarks.md, the hot path). */
  checkCreditsJson(input: credit.SpendRequest): Maybe<Reply<string>> {
    const reply = this.checkCredits(input);
    return reply instanceof Promise ? reply.then(serialized) : serialized(reply);
  }

  consumeCredits(input: credit.SpendRequest, meta: CallMeta) {
    return this.counted(this.mutateHot(meta, (ctx) => credit.consumeCredits(ctx, input, meta)));
  }
  reserveCredits(input: credit.ReserveRequest, meta: CallMeta) {
    return this.counted(this.mutateHot(meta, (ctx) => credit.reserveCredits(ctx, input, meta)));
  }
  getReservation(id: string) {
    return this.read((ctx) => credit.getReservation(ctx, id));
  }
  commitReservation(id: string, credits: number, meta: CallMeta) {
    return this.mutateHot(meta, (ctx) => credit.commitReservation(ctx, id, credits, meta));
  }
  releaseReservation(id: string, meta: CallMeta) {
    return this.mutateHot(meta, (ctx) => credit.releaseReservation(ctx, id, meta));
  }
  setFeatureLimit(feature: AiFeature, limit: number | null, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => credit.setFeatureLimit(ctx, feature, limit));
  }
  putCreditPackage(input: credit.PackageInput, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => credit.putPackage(ctx, input));
  }

  // ---- budgets inside the pool (credits/budgets.ts, credits/alerts.ts) ----------------------
  setAgentLimit(agentId: string, limit: number | null, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => credit.setAgentLimit(ctx, agentId, limit));
  }
  putCreditTopup(input: credit.TopupInput, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => credit.putTopup(ctx, input));
  }
  putAlertRule(id: string, input: credit.AlertRuleInput, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => credit.putAlertRule(ctx, id, input));
  }
  deleteAlertRule(id: string, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => credit.deleteAlertRule(ctx, id));
  }
  alertRule(id: string) {
    return this.read((ctx) => credit.getAlertRule(ctx, id));
  }
  alertRules() {
    return this.read((ctx) => credit.listAlertRules(ctx));
  }
  consumeCopilotQuestion(meta: CallMeta) {
    return this.counted(this.mutateWorkspace(meta, (ctx) => ok(credit.consumeQuestion(ctx, meta))));
  }

  // ---- the live balance (live.ts): tickets, then hibernatable sockets ------------------------
  issueLiveTicket() {
    return this.live.issueTicket(this.memory.workspaceId());
  }
  override fetch(request: Request): Promise<Response> {
    return this.live.connect(request);
  }
  override webSocketMessage(socket: WebSocket, data: string | ArrayBuffer): void {
    this.live.message(socket, data);
  }
  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    this.live.closed(socket, code, reason);
  }
  override webSocketError(socket: WebSocket): void {
    this.live.closed(socket);
  }

  // ---- events ------------------------------------------------------------------------------
  async events(after: string | undefined, limit: number): Promise<Reply<EventsPage>> {
    return this.read((ctx) => eventsPage(ctx.store, ctx.subscription.workspaceId, after, limit));
  }

  // ---- entities ----------------------------------------------------------------------------
  createEntity(kind: EntityKind, id: string, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => entities.createEntity(ctx, kind, id));
  }
  closeLead(id: string, outcome: LeadOutcome, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => entities.closeLead(ctx, id, outcome));
  }
  reopenLead(id: string, meta: CallMeta): Promise<Reply<entities.EntityChange>> {
    return this.mutateWorkspace(meta, (ctx) => entities.reopenLead(ctx, id));
  }
  deleteEntity(kind: EntityKind, id: string, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => entities.deleteEntity(ctx, kind, id));
  }
  getEntity(kind: EntityKind, id: string): Maybe<Reply<entities.EntityView>> {
    return this.read((ctx) => entities.readEntity(ctx, kind, id));
  }

  /** Up to 1,000 creates in order, in one transaction (a repeated or known id counts once). */
  createEntities(kind: EntityKind, ids: string[], meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => entities.createEntities(ctx, kind, ids));
  }

  /** Up to 1,000 entities' status at once; a read. */
  lookupEntities(kind: EntityKind, ids: string[]): Maybe<Reply<entities.EntityLookup>> {
    return this.read((ctx) => entities.lookupEntities(ctx, kind, ids));
  }
}
