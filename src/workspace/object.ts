import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fail, type Outcome, ok } from "../errors";
import { effectiveLimits } from "../policy/catalogue";
import type { EntityKind, LeadOutcome } from "../policy/entities";
import { type Instant, iso } from "../policy/time";
import type { CallMeta, WorkspaceContext } from "./context";
import { DOMAINS } from "./domains";
import {
  closeLead,
  createEntity,
  deleteEntity,
  type EntityChange,
  type EntityDeletion,
  type EntityView,
  readEntity,
  reopenLead,
} from "./entities";
import { eventMigrations } from "./events";
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

const coreMigrations: Migration[] = [
  {
    name: "meta_v1",
    statements: ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
  },
  ...eventMigrations,
  ...idempotencyMigrations,
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
 * One per workspace: the atomic counter and ledger of every limit. Each call reads the clock
 * once, runs pure policy inside one synchronous transaction (no await between reading and
 * writing a balance), then arms the single alarm that serves every deadline.
 */
export class WorkspaceObject extends DurableObject<Env> {
  private readonly store: Store;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new Store(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.store, [...coreMigrations, ...DOMAINS.flatMap((d) => d.migrations)]);
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

  /** One alarm serves every deadline. A frozen test clock only moves by PUT test-clock. */
  private async armAlarm(now: Instant): Promise<void> {
    const deadline = this.testClock() === undefined ? this.nextDeadline(now) : null;
    const current = await this.ctx.storage.getAlarm();
    if (deadline === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current !== deadline) {
      await this.ctx.storage.setAlarm(deadline);
    }
  }

  /** Applies everything due now; the same work the alarm, the cron and test clocks trigger. */
  async runDueWork(): Promise<{ now: string }> {
    const now = this.now();
    this.ctx.storage.transactionSync(() => this.settle(now));
    await this.armAlarm(now);
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
}
