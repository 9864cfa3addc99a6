import { DurableObject } from "cloudflare:workers";
import { dueShardFor } from "../cron/dueIndex";
import type { Env } from "../env";
import { fail, type Outcome, ok } from "../errors";
import type { AgentRef } from "../policy/agents";
import { type AiFeature, effectiveLimits } from "../policy/catalogue";
import type { ChannelKind } from "../policy/channels";
import type { EntityKind, LeadOutcome } from "../policy/entities";
import { type Instant, iso, MINUTE_MS } from "../policy/time";
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
import type { CallMeta, WorkspaceContext } from "./context";
import {
  checkCredits,
  commitReservation,
  consumeCredits,
  consumeQuestion,
  creditsView,
  getReservation,
  ledgerPage,
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
import { findPrior, idempotencyMigrations, remember } from "./idempotency";
import { type Migration, migrate, Store } from "./store";
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

const TEST_CLOCK_KEY = "testClock";
/** The deadline this workspace last reported to the due index (null: not in the index). */
const INDEXED_KEY = "dueIndexedAt";
/** After a failed report to the due index, the alarm tries again this soon. */
const INDEX_RETRY_MS = MINUTE_MS;

const earliest = (...instants: (Instant | null)[]): Instant | null =>
  instants.reduce<Instant | null>(
    (min, at) => (at !== null && (min === null || at < min) ? at : min),
    null,
  );

const noSubscription = () =>
  fail<never>("not_found", "This workspace has no subscription yet; PUT its subscription first.");

/**
 * One per workspace: the atomic counter and ledger of every limit. Each call reads the clock
 * once, runs pure policy inside one synchronous transaction (no await between reading and
 * writing a balance), then arms the single alarm that serves every deadline.
 */
export class WorkspaceObject extends DurableObject<Env> {
  private readonly store: Store;
  /** The due-work run in progress: runs are chained so deliveries never overlap (see runDueWork). */
  private dueWork: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new Store(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.store, [...coreMigrations, ...DOMAINS.flatMap((d) => d.migrations)]);
      // Decides whether the events recorded from now on are delivered (`pending`) or `disabled`.
      noteWebhookConfigured(this.store, webhookConfigured(env));
    });
  }

  // ---- clock -------------------------------------------------------------------------------

  private testClock(): Instant | undefined {
    return this.env.TEST_CLOCKS === "on" ? this.store.getMeta<Instant>(TEST_CLOCK_KEY) : undefined;
  }

  /** The one clock read of a call: the workspace's frozen test clock, or real time. */
  private now(): Instant {
    return this.testClock() ?? Date.now();
  }

  // ---- the two ways in: read and mutate ----------------------------------------------------

  private context(now: Instant): WorkspaceContext | undefined {
    const subscription = loadSubscription(this.store);
    if (subscription === undefined) return undefined;
    return { store: this.store, subscription, limits: effectiveLimits(subscription), now };
  }

  /** Reads never write: due work is evaluated lazily by the views themselves. */
  private read<T>(view: (ctx: WorkspaceContext) => Outcome<T>): Reply<T> {
    const ctx = this.context(this.now());
    return ctx === undefined ? noSubscription() : view(ctx);
  }

  /** A read that awaits (a feed signing its cursors): the same, asynchronously. */
  private async readAsync<T>(
    view: (ctx: WorkspaceContext) => Promise<Outcome<T>>,
  ): Promise<Reply<T>> {
    const ctx = this.context(this.now());
    return ctx === undefined ? noSubscription() : view(ctx);
  }

  private settle(now: Instant): void {
    const ctx = this.context(now);
    if (ctx !== undefined) for (const domain of DOMAINS) domain.settle(ctx);
  }

  /**
   * Runs one mutation atomically: replays a known Idempotency-Key, applies due work, runs the
   * operation, reconciles, and remembers the answer, all in one transaction. An error outcome
   * rolls back everything, so bad input changes nothing.
   */
  private async mutate<T>(
    meta: CallMeta,
    operation: (now: Instant) => Outcome<T>,
  ): Promise<Reply<T>> {
    const now = this.now();
    const { idempotencyKey: key, fingerprint } = meta;
    let reply: Reply<T>;
    try {
      reply = this.ctx.storage.transactionSync((): Reply<T> => {
        if (key !== undefined && fingerprint !== undefined) {
          const prior = findPrior(this.store, key, fingerprint, now);
          if (prior.kind === "conflict") {
            throw new Rollback(
              fail(
                "idempotency_conflict",
                "This Idempotency-Key was used with a different request in the last 24 hours.",
              ),
            );
          }
          if (prior.kind === "replay") return { ...(prior.outcome as Outcome<T>), replayed: true };
        }
        this.settle(now);
        const outcome = operation(now);
        if (!outcome.ok) throw new Rollback(outcome);
        this.settle(now);
        if (key !== undefined && fingerprint !== undefined) {
          remember(this.store, key, fingerprint, outcome, now);
        }
        return outcome;
      });
    } catch (error) {
      if (error instanceof Rollback) return error.outcome;
      throw error;
    }
    await this.armAlarm(now);
    return reply;
  }

  /** An operation that needs the subscription; a workspace without one answers 404. */
  private async mutateWorkspace<T>(
    meta: CallMeta,
    operation: (ctx: WorkspaceContext) => Outcome<T>,
  ): Promise<Reply<T>> {
    return this.mutate(meta, (now) => {
      const ctx = this.context(now);
      return ctx === undefined ? noSubscription() : operation(ctx);
    });
  }

  // ---- deadlines ---------------------------------------------------------------------------

  private nextDeadline(now: Instant): Instant | null {
    const ctx = this.context(now);
    if (ctx === undefined) return null;
    let earliest: Instant | null = null;
    for (const domain of DOMAINS) {
      const at = domain.nextDeadline(ctx);
      if (at !== null && (earliest === null || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /**
   * When this workspace next has due work: its domains' deadlines, its next webhook delivery and
   * its oldest event's end of retention. Null on a frozen test clock, which only moves by PUT
   * test-clock (that call runs the due work itself), so such a workspace is neither alarmed nor
   * in the due index.
   */
  private dueAt(now: Instant): Instant | null {
    if (this.testClock() !== undefined) return null;
    return earliest(
      this.nextDeadline(now),
      deliveryDeadline(this.store, webhookConfigured(this.env)),
      retentionDeadline(this.store),
    );
  }

  private async setAlarm(at: Instant | null): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (at === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current !== at) {
      await this.ctx.storage.setAlarm(at);
    }
  }

  /**
   * After a mutation: one alarm serves every deadline. When the deadline moved earlier than the
   * one in the due index, the alarm fires now instead and the due work reports it to the index:
   * a check or spend never waits for another object. (A later deadline needs no report: the cron
   * would only visit early, and that visit corrects the index.)
   */
  private async armAlarm(now: Instant): Promise<void> {
    const dueAt = this.dueAt(now);
    const indexed = this.store.getMeta<Instant | null>(INDEXED_KEY) ?? null;
    const indexBehind = dueAt !== null && (indexed === null || dueAt < indexed);
    await this.setAlarm(indexBehind ? Math.min(dueAt, now) : dueAt);
  }

  /** Tells the due index this workspace's next deadline; false when the index is unreachable. */
  private async reportDueAt(dueAt: Instant | null): Promise<boolean> {
    const workspaceId = loadSubscription(this.store)?.workspaceId;
    if (workspaceId === undefined) return true;
    try {
      await dueShardFor(this.env, workspaceId).report(workspaceId, dueAt);
    } catch (error) {
      console.error(`due index report failed for workspace ${workspaceId}`, error);
      return false;
    }
    this.store.setMeta(INDEXED_KEY, dueAt);
    return true;
  }

  /**
   * Applies everything due now: the same work the alarm, the cron and test clocks trigger. Runs
   * are chained, one at a time per workspace, so concurrent triggers never send an event twice;
   * each run settles every domain in one transaction, then delivers due webhooks (outside any
   * transaction: checks and spends proceed meanwhile), then reports the next deadline to the due
   * index and arms the alarm.
   */
  runDueWork(): Promise<{ now: string }> {
    const run = this.dueWork.then(() => this.applyDueWork());
    this.dueWork = run.catch(() => undefined);
    return run;
  }

  private async applyDueWork(): Promise<{ now: string }> {
    const now = this.now();
    this.ctx.storage.transactionSync(() => {
      this.settle(now);
      pruneEvents(this.store, now);
    });
    const workspaceId = loadSubscription(this.store)?.workspaceId;
    if (workspaceId !== undefined) {
      await deliverDue(this.store, webhookConfig(this.env), workspaceId, () => this.now());
    }
    const reported = await this.reportDueAt(this.dueAt(this.now()));
    // Recomputed from storage: a mutation may have moved a deadline while the report (or a
    // delivery) was in flight; armAlarm then sees the index behind and fires again at once.
    const after = this.now();
    if (reported) await this.armAlarm(after);
    else await this.setAlarm(earliest(this.dueAt(after), after + INDEX_RETRY_MS));
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
    const current = this.testClock();
    if (current !== undefined && at < current) {
      return fail(
        "invalid_request",
        `Invalid request: now: test clocks only move forward (now is ${iso(current)})`,
        [{ path: "now", message: `must not be before the current test clock ${iso(current)}` }],
      );
    }
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

  /** The preflight: a read, so it never writes storage. */
  checkCredits(input: SpendRequest) {
    return this.read((ctx) => ok(checkCredits(ctx, input)));
  }

  consumeCredits(input: SpendRequest, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => ok(consumeCredits(ctx, input, meta)));
  }

  reserveCredits(input: ReserveRequest, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => ok(reserveCredits(ctx, input, meta)));
  }

  getReservation(id: string) {
    return this.read((ctx) => getReservation(ctx, id));
  }

  commitReservation(id: string, credits: number, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => commitReservation(ctx, id, credits, meta));
  }

  releaseReservation(id: string, meta: CallMeta) {
    return this.mutateWorkspace(meta, (ctx) => releaseReservation(ctx, id, meta));
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
