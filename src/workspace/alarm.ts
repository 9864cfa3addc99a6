import { earliest, HOUR_MS, type Instant, iso, MINUTE_MS } from "../policy/time";
import type { Store } from "../storage";

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

/**
 * The fleet index's reports as the alarm sees them (src/workspace/fleet.ts, `FleetReporter`).
 * Their deadline shares the one alarm but is not due work: the due index never hears of it, and
 * an alarm that rings for a report alone runs nothing else.
 */
export interface FleetReports {
  /** When the next report must go (null: none, or reports are manual). Reads no storage. */
  dueAt(): Instant | null;
  /** Whether due work should send one now. */
  isDue(): boolean;
  /** Sends one; a failure is kept and retried later, never thrown. */
  report(): Promise<unknown>;
  /** What is due: a report, else keeping the counts in memory durable. */
  run(): Promise<unknown>;
}

/**
 * The daily roll-ups as the alarm sees them (src/workspace/archive/rollupWork.ts): brought up to
 * date by due work and by every alarm that rings for the fleet alone, and a deadline of their
 * own beside the fleet's (not due work either: the due index never hears of it).
 */
export interface RollupWake {
  /** When the alarm must ring for them (null: up to date, or wakes are manual); no SQL on a hot call. */
  dueAt(now: Instant): Instant | null;
  /**
   * Rolls up what the ledger holds after the pointer (a bounded step, or a few in due work),
   * each step one transaction; evaluates the forecast. Answers whether entries are left, and
   * whether it recorded an event (the delivery deadline may have moved).
   */
  run(now: Instant, dueWork: boolean): { more: boolean; events: boolean };
  /** The paired check (tests only): the pointer it remembers is never past storage's. */
  verify(audit: Store): void;
}

/**
 * What the scheduler needs from the object, and nothing more (the shape of `SchedulerHost` in
 * cloudflare/agents): its alarm, its storage for the index mark, the deadlines it combines and
 * the due index it reports to.
 */
export interface AlarmHost {
  store: Store;
  setAlarm(at: Instant): Promise<void>;
  deleteAlarm(): Promise<void>;
  /** Until when no settle is due (memory's window, else the domains' deadline); null: never. */
  settleDeadline(now: Instant): Instant | null;
  /** Work due that changes no answer: deliveries, event retention (null: none). */
  dueDeadline(): Instant | null;
  /** When the oldest kept history passes its retention (null: none). */
  pruneDeadline(): Instant | null;
  workspaceId(): string | undefined;
  /** Tells the due index the workspace's next deadline; throws when it is unreachable. */
  report(workspaceId: string, dueAt: Instant | null): Promise<void>;
  /** The workspace's frozen test clock (undefined: real time), read afresh on every call. */
  testClock(): Instant | undefined;
  /**
   * Due work's transaction: settles every domain and prunes a batch of history, reloading
   * memory. Answers the workspace (undefined: no subscription) and whether history is left.
   */
  settleAndPrune(now: Instant): { workspaceId: string | undefined; more: boolean };
  /** What runs after that transaction, outside it: webhook deliveries. */
  afterDueWork(workspaceId: string): Promise<unknown>;
  /** The workspace's reports to the fleet index. */
  fleet: FleetReports;
  /** The daily roll-ups, kept current. */
  rollups: RollupWake;
}

/**
 * The object's one alarm: when the workspace next has due work, the alarm set for it, the
 * deadline the due index holds, and when housekeeping runs. Everything is kept in memory so no
 * call awaits getAlarm() or reads the index mark twice.
 */
export class Alarm {
  /** The alarm as this instance last set it (undefined: unknown, ask storage). */
  private alarmAt: Instant | null | undefined;
  /** INDEXED_KEY as stored (undefined: not read yet). */
  private indexedAt: Instant | null | undefined;
  /** The workspace's next due work (without the test-clock rule; undefined: recompute). */
  private dueAt: Instant | null | undefined;
  /** When housekeeping has its own alarm (null: none; it runs with the next due work). */
  private pruneAt: Instant | null = null;
  /** Calls that wrote history since housekeeping was last scheduled or ran. */
  private historyWrites = 0;
  /** The alarm as set rings for a fleet report or the roll-ups alone, earlier than any due work. */
  private fleetOnly = false;
  /** The due-work run in progress: runs are chained so deliveries never overlap. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: AlarmHost) {}

  /** A deadline may have moved in a way only storage knows: recompute at the next use. */
  invalidate(): void {
    this.dueAt = undefined;
  }

  /** A hold opened: its expiry is a deadline, and no other moved (no event was recorded). */
  noteDeadline(at: Instant | null): void {
    if (this.dueAt !== undefined) this.dueAt = earliest(this.dueAt, at);
  }

  /**
   * When this workspace next has due work: its domains' deadlines, its next webhook delivery and
   * its oldest event's end of retention. Null on a frozen test clock is the caller's rule (see
   * arm): such a workspace only moves by PUT test-clock, which runs the due work itself.
   */
  private computeDueAt(now: Instant): Instant | null {
    if (this.dueAt === undefined) {
      this.dueAt = earliest(this.host.settleDeadline(now), this.host.dueDeadline());
    }
    return this.dueAt;
  }

  /** After a call that wrote history: every PRUNE_AFTER_WRITES, housekeeping gets its alarm. */
  wroteHistory(now: Instant): void {
    if (++this.historyWrites < PRUNE_AFTER_WRITES || this.pruneAt !== null) return;
    this.historyWrites = 0;
    const at = this.host.pruneDeadline();
    this.pruneAt = at === null ? null : Math.max(at, now + PRUNE_INTERVAL_MS);
  }

  private indexed(): Instant | null {
    if (this.indexedAt === undefined) {
      this.indexedAt = this.host.store.getMeta<Instant | null>(INDEXED_KEY) ?? null;
    }
    return this.indexedAt;
  }

  /** Sets the alarm when it moved; the time last set is kept, so no call awaits getAlarm(). */
  private async set(at: Instant | null): Promise<void> {
    if (this.alarmAt !== undefined && this.alarmAt === at) return;
    // Recorded before awaiting: storage applies alarm changes in call order, like this field.
    this.alarmAt = at;
    if (at === null) await this.host.deleteAlarm();
    else await this.host.setAlarm(at);
  }

  /**
   * After a mutation: one alarm serves every deadline and housekeeping. When the deadline moved
   * earlier than the one in the due index, the alarm fires now instead and the due work reports
   * it to the index: a check or spend never waits for another object. (A later deadline needs
   * no report: the cron would only visit early, and that visit corrects the index.)
   */
  async arm(now: Instant, frozen: boolean): Promise<void> {
    this.fleetOnly = false;
    if (frozen) return this.set(null);
    const dueAt = this.computeDueAt(now);
    const indexed = this.indexed();
    const indexBehind = dueAt !== null && (indexed === null || dueAt < indexed);
    // An alarm already set to fire by now serves a report that is due now.
    if (indexBehind && this.alarmAt != null && this.alarmAt <= now) return;
    const due = indexBehind ? Math.min(dueAt, now) : dueAt;
    const work = earliest(due, this.pruneAt);
    const report = earliest(this.host.fleet.dueAt(), this.host.rollups.dueAt(now));
    this.fleetOnly = report !== null && (work === null || report < work);
    await this.set(earliest(work, report));
  }

  /**
   * The fleet reporter counted its first decision since its last report or spill (fleet.ts). A
   * check is a read, and a spend armed the alarm before its answer was counted, so either may
   * have left no alarm for that count: arm again. Once per spill at most, so a check pays
   * nothing for it in the steady state.
   */
  async fleetWake(): Promise<void> {
    const clock = this.clock();
    await this.arm(clock.now, clock.frozen);
  }

  /**
   * The alarm rang. Set for the fleet or the roll-ups alone, it brings the roll-ups up to date,
   * sends the report (or keeps the decisions counted in memory durable) and arms again (no
   * settle, no due index report); otherwise it runs the due work, which does the same.
   */
  async ring(): Promise<void> {
    if (!this.fleetOnly) {
      await this.runDueWork();
      return;
    }
    this.fleetOnly = false;
    this.alarmAt = undefined;
    // An event recorded (the forecast's) moves the delivery deadline: recompute it.
    if (this.host.rollups.run(this.clock().now, false).events) this.dueAt = undefined;
    await this.host.fleet.run();
    const clock = this.clock();
    await this.arm(clock.now, clock.frozen);
  }

  /**
   * Applies everything due now: the same work the alarm, the cron and test clocks trigger. Runs
   * are chained, one at a time per workspace, so concurrent triggers never send an event twice;
   * each run settles every domain and prunes expired history in one transaction (reloading
   * everything the object keeps in memory from storage), brings the roll-ups up to date (a few
   * bounded steps, the forecast), then delivers due webhooks (outside any transaction: checks
   * and spends proceed meanwhile), then reports the next deadline to the due index, then to the
   * fleet index when a report is due, and arms the alarm.
   */
  runDueWork(): Promise<{ now: string }> {
    const run = this.running.then(() => this.applyDueWork());
    this.running = run.catch(() => undefined);
    return run;
  }

  private async applyDueWork(): Promise<{ now: string }> {
    const now = this.clock().now;
    // Whatever brought this run (the alarm, the cron, a test), the alarm is set again at its end.
    this.alarmAt = undefined;
    this.fleetOnly = false;
    this.dueAt = undefined;
    let done: { workspaceId: string | undefined; more: boolean };
    let rolled: { more: boolean };
    try {
      done = this.host.settleAndPrune(now);
      // After the settle (a renewal first), before the archive (which prunes rolled-up entries).
      rolled = this.host.rollups.run(now, true);
    } finally {
      this.dueAt = undefined;
    }
    this.historyWrites = 0;
    this.pruneAt = done.more || rolled.more ? now : null;
    if (done.workspaceId !== undefined) await this.host.afterDueWork(done.workspaceId);
    // Recomputed from storage: deliveries change the delivery deadline, and a mutation may have
    // moved a deadline while they (or the reports) were in flight; arm then sees the index
    // behind and fires again at once.
    const clock = this.clock();
    const frozen = clock.frozen;
    const reported = await this.report(frozen ? null : this.computeDueAt(clock.now));
    this.dueAt = undefined;
    // After the due index's mark, so the fleet report's row covers every write of this run: a
    // mark written after it was a change that asked for another report a minute later.
    await this.host.fleet.run();
    const after = this.clock().now;
    if (reported) await this.arm(after, frozen);
    else await this.set(earliest(frozen ? null : this.computeDueAt(after), after + INDEX_RETRY_MS));
    return { now: iso(now) };
  }

  private clock(): { now: Instant; frozen: boolean } {
    const test = this.host.testClock();
    return { now: test ?? Date.now(), frozen: test !== undefined };
  }

  /** Tells the due index this workspace's next deadline; false when the index is unreachable. */
  private async report(dueAt: Instant | null): Promise<boolean> {
    const workspaceId = this.host.workspaceId();
    if (workspaceId === undefined) return true;
    try {
      await this.host.report(workspaceId, dueAt);
    } catch (error) {
      console.error(`due index report failed for workspace ${workspaceId}`, error);
      return false;
    }
    this.host.store.setMeta(INDEXED_KEY, dueAt);
    this.indexedAt = dueAt;
    return true;
  }

  /**
   * The paired check (tests only): the deadline kept in memory is never later than the one
   * storage gives now (earlier is only cautious: the alarm comes, and finds nothing to do).
   */
  verify(stored: Instant | null, audit?: Store): void {
    if (audit !== undefined) this.host.rollups.verify(audit);
    const kept = this.dueAt;
    if (kept === undefined) return;
    if (kept === null ? stored === null : stored === null || kept <= stored) return;
    throw new Error(`alarm deadline differs from storage: memory ${kept}, storage ${stored}`);
  }
}
