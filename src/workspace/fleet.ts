import type { Plan } from "../policy/catalogue";
import {
  addCounts,
  countDecision,
  DECISION_REASONS,
  DECISIONS_SPILL_MS,
  type DecisionCounts,
  type DecisionReason,
  type FleetRow,
  nextReportAt,
  REPORT_RETRY_MS,
} from "../policy/fleet";
import { earliest, type Instant } from "../policy/time";
import type { Store } from "../storage";
import type { WorkspaceEnv as Env } from "./env";
import {
  type CreditDelta,
  creditsShare,
  creditsWaiting,
  exportStatements,
  markSent,
  STATEMENTS_PER_REPORT,
  statementsShare,
} from "./fleetExports";
import { fleetRow, reportStatements } from "./fleetRow";
import type { Memory } from "./memory";

/**
 * The workspace's side of the fleet index (docs/fleet.md): the row it reports, its decisions by
 * reason counted in memory, and the report itself, a direct D1 batch from the object's alarm.
 *
 * Never on the hot path: a decision is a map increment, a change is noticed by comparing the
 * store's write and event counters (src/storage.ts) when the alarm is armed, and the row is read
 * only when a report goes (docs/rules.md, "Events and due work": due work runs from the alarm,
 * never inside a check or a spend). `FleetReporter` owns everything the object keeps in memory
 * for the index (the counts, the report number, the failed report, what the last one saw); the
 * alarm (alarm.ts) reaches it only through its `FleetReports` shape, and the object's deciding
 * RPC methods count through `decided`.
 *
 * The fleet's clock is the platform's (Date.now()), not a workspace's test clock: the index
 * says how old each row is and which hour a decision fell in, in real time, for every
 * workspace alike.
 *
 * Exactly once: a report has a number, and a failed one is retried with the same number and
 * the same decision counts (new decisions wait for the next report). The D1 batch adds the counts
 * only if the index holds no report of that number or later, then writes the row, in one
 * transaction; so a report that landed but whose answer was lost is never counted twice.
 */

const isReason = (reason: string): reason is DecisionReason =>
  (DECISION_REASONS as readonly string[]).includes(reason);

type Decided = { ok: true; value: { allowed: boolean; reason?: string }; replayed?: boolean };

/** What the reporter reads from the object, never loading anything on the way to a call. */
export interface FleetSource {
  /** The plan and seats as memory holds them (undefined: not in memory); no SQL. */
  standing(): { plan: string; seats: number } | undefined;
  /** The workspace's row now (null: no subscription, nothing to report); read by a report. */
  row(): FleetRow | null;
  /** The workspace's clock (the ledger's days); real time when not given. */
  now?(): Instant;
}

const standingOf = (s: { plan: string; seats: number } | undefined): string | null =>
  s === undefined ? null : `${s.plan}|${s.seats}`;

/**
 * What survives the object's eviction (its meta table): decisions counted but not yet in a
 * report (`unsent`), and the report in flight or failed (`pending`), retried with its number.
 */
const UNSENT_KEY = "fleet_unsent_decisions";
const PENDING_KEY = "fleet_pending_report";
/**
 * The row of the last report that landed, as sent: a new instance does not know what its
 * predecessor reported, so it reports once it wakes, and skips the send when the row is the one
 * the index already holds and no decision waits. Without it every wake of a fresh instance (an
 * alarm after an eviction) sent a report whose own bookkeeping asked for the next one a minute
 * later, and idle workspaces reported every minute forever (docs/fleet.md, "Scale").
 */
const LAST_ROW_KEY = "fleet_last_row";
type Entries = [string, number][];
/** A report: its number, its decision counts, and its credits since the index's mark. */
interface Pending {
  seq: number;
  decisions: DecisionCounts;
  credits: CreditDelta[];
  /** The ledger sequence the credits run through (null: none read). */
  through: number | null;
}
interface StoredPending {
  seq: number;
  decisions: Entries;
  credits?: CreditDelta[];
  through?: number | null;
}

/**
 * One per object: counts decisions, says when the next report is due, keeps the counts durable,
 * and sends reports one at a time.
 */
export class FleetReporter {
  /** Counted since the last spill or report, in memory only. */
  private counts: DecisionCounts = new Map();
  /** When the first of `counts` was counted (null: none). */
  private firstCountAt: Instant | null = null;
  /** Counted earlier and kept in storage (UNSENT_KEY), not yet in a report. */
  private unsent: DecisionCounts = new Map();
  /** A report that failed or was cut short, retried as it was (same number, same counts). */
  private pending: Pending | null = null;
  /** The ledger or the statements had more than one report carries: report again soon. */
  private backlog = false;
  private seq = 0;
  private lastReportAt: Instant | null = null;
  private retryAt: Instant | null = null;
  /** The store's counters and the plan and seats as of the last report's row. */
  private seenWrites = 0;
  private seenEvents = 0;
  private seenStanding: string | null = null;
  /** LAST_ROW_KEY as stored (undefined: not read yet). */
  private lastRow: string | null | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly env: Env,
    private readonly store: Store,
    private readonly source: FleetSource,
    /** Asks for the alarm when a count may have none (see `decided`); reports go by themselves. */
    private readonly wake: () => Promise<void> = async () => {},
  ) {}

  /** Reports go by themselves (an alarm within a minute of a change); see Env.FLEET_REPORTS. */
  private get automatic(): boolean {
    return this.env.FLEET !== undefined && this.env.FLEET_REPORTS !== "manual";
  }

  /**
   * Reads what an earlier instance left (the object's constructor calls it, after migrations):
   * counts it kept and a report it did not see land, which goes again with its number, so the
   * index adds its counts once.
   */
  load(): void {
    this.unsent = new Map(this.store.getMeta<Entries>(UNSENT_KEY) ?? []);
    const pending = this.store.getMeta<StoredPending>(PENDING_KEY);
    this.pending =
      pending === undefined
        ? null
        : {
            seq: pending.seq,
            decisions: new Map(pending.decisions),
            credits: pending.credits ?? [],
            through: pending.through ?? null,
          };
    if (this.pending !== null) this.seq = this.pending.seq;
  }

  /**
   * Counts an answer of a deciding call under its reason (a replayed answer was counted when it
   * was decided). Returns the reply, so a method can pass its answer through.
   */
  decided<R>(reply: R, plan: Plan | undefined): R {
    const r = reply as unknown as Decided | { ok: false };
    if (!r.ok || r.replayed || plan === undefined || this.env.FLEET === undefined) return reply;
    const reason = r.value.reason ?? "allowed";
    if (!isReason(reason)) return reply;
    const first = this.counts.size === 0;
    const now = Date.now();
    countDecision(this.counts, now, plan, reason);
    if (first) this.firstCountAt = now;
    // The first count since the last spill or report may have no alarm to carry it: a check
    // arms none, and a spend armed before its answer was counted. A failed wake is retried by
    // the next call's arm.
    if (first && this.automatic) this.wake().catch(() => undefined);
    return reply;
  }

  /** Whether the next report has a reason to go. */
  private state() {
    const standing = standingOf(this.source.standing());
    return {
      lastReportAt: this.lastReportAt,
      retryAt: this.pending === null ? null : this.retryAt,
      changed:
        this.store.rowsWritten !== this.seenWrites ||
        this.counts.size > 0 ||
        this.unsent.size > 0 ||
        this.pending !== null ||
        this.backlog,
      standingChanged:
        this.store.eventsRecorded !== this.seenEvents ||
        (standing !== null && standing !== this.seenStanding),
    };
  }

  /** When the counts in memory must be written to storage (null: none are waiting). */
  private spillAt(): Instant | null {
    return this.firstCountAt === null ? null : this.firstCountAt + DECISIONS_SPILL_MS;
  }

  /**
   * When the alarm must ring for the next report or spill (null: none, or reports are not
   * automatic). Not due work: the due index never hears of it.
   */
  dueAt(): Instant | null {
    if (!this.automatic) return null;
    return earliest(nextReportAt(this.state(), Date.now()), this.spillAt());
  }

  /** Whether due work should report now: one is due (automatic), or anything changed (manual). */
  isDue(): boolean {
    if (this.env.FLEET === undefined) return false;
    if (this.automatic) {
      const at = nextReportAt(this.state(), Date.now());
      return at !== null && at <= Date.now();
    }
    const s = this.state();
    return s.changed || s.standingChanged;
  }

  /** What the alarm runs: a report when one is due, else the spill of counts kept too long. */
  async run(): Promise<unknown> {
    if (this.isDue()) return this.report();
    const spill = this.spillAt();
    if (spill !== null && spill <= Date.now()) this.spill();
  }

  /** Moves the counts from memory to storage (one small transaction, in the alarm). */
  spill(): void {
    if (this.counts.size === 0) return;
    const unsent = addCounts(this.unsent, this.counts);
    this.store.setMeta(UNSENT_KEY, [...unsent]);
    this.unsent = unsent;
    this.counts = new Map();
    this.firstCountAt = null;
  }

  /**
   * Sends the workspace's row with the decisions counted so far. Reports run one at a time.
   * False when it failed: it is retried a minute later with the same number and counts.
   */
  report(): Promise<boolean> {
    const run = this.running.then(() => this.send());
    this.running = run.catch(() => undefined);
    return run;
  }

  /**
   * Numbers the report and writes it as pending before sending (the unsent counts go into it in
   * the same write): an instance that dies before it knows the outcome leaves it for the next,
   * which sends it again with its number.
   */
  private takePending(): Pending {
    if (this.pending !== null) return this.pending;
    // Both writes in one turn with no await between: the object commits them together.
    this.seq = Math.max(this.seq + 1, Date.now());
    const decisions = addCounts(this.unsent, this.counts);
    const share = creditsShare(this.store, this.source.now?.() ?? Date.now());
    this.backlog = share.more;
    const pending: Pending = {
      seq: this.seq,
      decisions,
      credits: share.credits,
      through: share.through,
    };
    // Credits are added once by the report's number, like the counts: kept before sending.
    if (decisions.size > 0 || pending.credits.length > 0) {
      const stored: StoredPending = {
        seq: pending.seq,
        decisions: [...decisions],
        credits: pending.credits,
        through: pending.through,
      };
      this.store.setMeta(PENDING_KEY, stored);
      if (this.unsent.size > 0) this.store.run("DELETE FROM meta WHERE key = ?", UNSENT_KEY);
    }
    this.pending = pending;
    this.unsent = new Map();
    this.counts = new Map();
    this.firstCountAt = null;
    return pending;
  }

  private async send(): Promise<boolean> {
    const db = this.env.FLEET;
    if (db === undefined) return true;
    const writes = this.store.rowsWritten;
    const events = this.store.eventsRecorded;
    const row = this.source.row();
    if (row === null) return true;
    let own = this.store.rowsWritten;
    const sent = JSON.stringify(row);
    this.lastRow ??= this.store.getMeta<string>(LAST_ROW_KEY) ?? null;
    if (this.pending === null && this.counts.size === 0 && this.unsent.size === 0) {
      // Nor any credit for the finance exports (a spend changes the row; a backlog may not).
      if (sent === this.lastRow && !this.backlog && !creditsWaiting(this.store)) {
        // The index holds this row already and no decision waits: nothing to send.
        this.seen(writes, 0, events, row);
        return true;
      }
    }
    const pending = this.takePending();
    own = this.store.rowsWritten - own;
    const statements = statementsShare(this.store, this.source.now?.() ?? Date.now());
    const now = Date.now();
    try {
      await db.batch([
        ...exportStatements(db, row.workspaceId, pending.seq, pending.credits, statements),
        ...reportStatements(db, row, pending.decisions, pending.seq, now),
      ]);
    } catch (error) {
      console.error(`fleet report failed for workspace ${row.workspaceId}`, error);
      this.retryAt = now + REPORT_RETRY_MS;
      return false;
    }
    const before = this.store.rowsWritten;
    markSent(this.store, pending.through, statements);
    if (pending.decisions.size > 0 || pending.credits.length > 0) {
      this.store.run("DELETE FROM meta WHERE key = ?", PENDING_KEY);
    }
    if (sent !== this.lastRow) {
      this.store.setMeta(LAST_ROW_KEY, sent);
      this.lastRow = sent;
    }
    own += this.store.rowsWritten - before;
    if (statements.length === STATEMENTS_PER_REPORT) this.backlog = true;
    this.pending = null;
    this.retryAt = null;
    this.lastReportAt = now;
    this.seen(writes, own, events, row);
    return true;
  }

  /** The reporter's own writes (its pending report, its last row) are not a change to report. */
  private seen(writes: number, own: number, events: number, row: FleetRow): void {
    this.seenWrites = writes + own;
    this.seenEvents = events;
    this.seenStanding = `${row.plan}|${row.seats}`;
  }
}

/** The object's reporter: its standing and row read through memory, at the object's clock. */
export const reporterFor = (
  env: Env,
  store: Store,
  memory: Memory,
  now: () => Instant,
  wake: () => Promise<void>,
) =>
  new FleetReporter(
    env,
    store,
    {
      standing: () => memory.remembered(),
      row: () => {
        const ctx = memory.context(now());
        return ctx === null ? null : fleetRow(ctx);
      },
      now,
    },
    wake,
  );
