import { fail, ok } from "../errors";
import {
  AI_FEATURES,
  type AiFeature,
  AVERAGE_CREDIT_COST,
  effectiveLimits,
  type Subscription,
} from "../policy/catalogue";
import {
  closeProblem,
  commitFigures,
  commitMessage,
  DEFAULT_TTL_SECONDS,
  decideQuestion,
  decideSpend,
  type EndedPeriod,
  estimatedRequests,
  type FeatureUse,
  featureRemainingOf,
  humanInstant,
  type PeriodBounds,
  type Pool,
  percentUsed,
  planOffering,
  type QuestionDecision,
  type Reservation,
  type ReservationState,
  reachedThresholds,
  releaseMessage,
  remainingOf,
  reservationExpiry,
  resetEvent,
  type SpendDecision,
  type SpendMode,
  stateAt,
  THRESHOLD_PERCENTS,
  thresholdEvent,
} from "../policy/credits";
import type { PolicyEvent } from "../policy/events";
import {
  changeAnchor,
  type Period,
  periodAt,
  periodOf,
  renewalsSince,
  type Schedule,
  scheduleAt,
  scheduleOf,
} from "../policy/periods";
import { DAY_MS, earliest, type Instant, iso } from "../policy/time";
import type { Migration, Store } from "../storage";
import type { CallMeta, CreditCounters, PackageRow, WorkspaceContext } from "./context";
import { nextCursor, readCursor } from "./cursors";
import type { Domain } from "./domain";
import { recordEvents } from "./events";
import { IDEMPOTENCY_RETENTION_MS } from "./idempotency";

/** At most this many packages count at once; more is a 409, so a balance stays a short sum. */
export const MAX_ACTIVE_PACKAGES = 100;
/** Closed reservations answer precise 409s for as long as a retry could arrive, then go. */
const CLOSED_RESERVATION_RETENTION_MS = IDEMPOTENCY_RETENTION_MS;
/** Ledger rows, counters and expired packages older than this are pruned (13+ periods). */
const HISTORY_RETENTION_MS = 400 * DAY_MS;
/** Settle does bounded work per call; anything left is due at once and done by the next. */
const BATCH = 256;
/** An idle workspace that missed many renewals gets at most this many reset events. */
const MAX_RESET_EVENTS = 12;
/** The stored Schedule: the period in force at the last settle and the anchor it follows. */
const PERIOD_KEY = "credits.period";

export const creditMigrations: Migration[] = [
  {
    name: "credits_v1",
    statements: [
      // Append-only: every movement of credits (and every Copilot question) with who and why.
      `CREATE TABLE credit_ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('debit','hold','commit','release','expire','question')),
        feature TEXT,
        credits INTEGER NOT NULL,
        reservation_id TEXT,
        idempotency_key TEXT,
        role TEXT,
        period_start INTEGER NOT NULL
      )`,
      "CREATE INDEX credit_ledger_at ON credit_ledger (at)",
      // Hot-path counters, so a decision never sums the ledger. Keyed by period start: a new
      // period reads fresh rows, which is the reset; nothing carries over.
      `CREATE TABLE credit_usage (
        period_start INTEGER NOT NULL,
        feature TEXT NOT NULL,
        used INTEGER NOT NULL,
        PRIMARY KEY (period_start, feature)
      )`,
      // Open reservations' credits per feature, whatever period they were made in.
      "CREATE TABLE credit_holds (feature TEXT PRIMARY KEY, held INTEGER NOT NULL)",
      `CREATE TABLE credit_reservations (
        id TEXT PRIMARY KEY,
        feature TEXT NOT NULL,
        credits INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        charged INTEGER,
        closed_at INTEGER
      )`,
      "CREATE INDEX credit_reservations_open ON credit_reservations (state, expires_at)",
      "CREATE INDEX credit_reservations_closed ON credit_reservations (closed_at)",
      "CREATE TABLE credit_feature_limits (feature TEXT PRIMARY KEY, credit_limit INTEGER NOT NULL)",
      `CREATE TABLE credit_packages (
        id TEXT PRIMARY KEY,
        credits INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      "CREATE INDEX credit_packages_expires ON credit_packages (expires_at)",
      // One row per (period, percent) that was announced: the event's uniqueness key.
      `CREATE TABLE credit_thresholds (
        period_start INTEGER NOT NULL,
        percent INTEGER NOT NULL,
        PRIMARY KEY (period_start, percent)
      )`,
      "CREATE TABLE copilot_questions (period_start INTEGER PRIMARY KEY, used INTEGER NOT NULL)",
    ],
  },
  {
    // A spend appends one ledger row and no index row: retention prunes the ledger in id order,
    // and a period's entries are read as the ids after its stored bound (set here, through the
    // index, for the period in force; every later period stores its own).
    name: "credits_v2_ledger_unindexed",
    statements: [
      `UPDATE meta SET value = json_set(value, '$.ledgerFrom', COALESCE(
         (SELECT MIN(id) - 1 FROM credit_ledger WHERE at >= json_extract(meta.value, '$.start')),
         (SELECT MAX(id) FROM credit_ledger), 0))
       WHERE key = '${PERIOD_KEY}'`,
      "DROP INDEX credit_ledger_at",
    ],
  },
];

// ---- loading -------------------------------------------------------------------------------

/**
 * Counters are keyed by period start. When a changed anchor ends a period at the very instant
 * it began (a change right on a renewal, or two changes under one frozen test clock), the new
 * period shares that start: what the counters hold under it until the change belongs to the
 * ended period, and is carried here so that the new period does not count it. The counters
 * and the ledger themselves are never rewritten (they stay each other's sums).
 */
interface Carried {
  start: Instant;
  used: Record<string, number>;
  questions: number;
}

/** As stored: the schedule, and what its period's start carries from an ended period. */
type PeriodRecord = Schedule & { carried?: Carried; ledgerFrom?: number };
/** What releases before the schedule stored: the anchor and the period start. */
type LegacyPeriodRecord = Omit<Schedule, "end">;

const storedPeriod = (store: Store) => store.getMeta<PeriodRecord | LegacyPeriodRecord>(PERIOD_KEY);

function carriedAt(store: Store, periodStart: Instant): Carried | undefined {
  const stored = storedPeriod(store);
  const carried = stored !== undefined && "carried" in stored ? stored.carried : undefined;
  return carried?.start === periodStart ? carried : undefined;
}

/**
 * Stores the schedule; what its period's start carries stays while the period in force still
 * starts there (a renewal moves on, a kept anchor does not), unless `carried` replaces it.
 */
function storeSchedule(store: Store, schedule: Schedule, carried?: Carried): void {
  const kept = carried ?? carriedAt(store, schedule.start);
  const { anchor, start, end } = schedule;
  // The ledger's last id before this period: its entries are the ids after it. A period that
  // keeps its start keeps its bound; a new one is stored before anything is charged to it.
  const stored = storedPeriod(store);
  const ledgerFrom =
    stored !== undefined && stored.start === start && "ledgerFrom" in stored
      ? stored.ledgerFrom
      : (store.one<{ id: number | null }>("SELECT MAX(id) AS id FROM credit_ledger")?.id ?? 0);
  const record: PeriodRecord = { anchor, start, end, ledgerFrom };
  if (kept !== undefined) record.carried = kept;
  store.setMeta(PERIOD_KEY, record);
}

/**
 * A ledger id below every entry of the period that starts at `periodStart`: the bound stored
 * with the schedule (of this period, or of an earlier one not yet renewed), else 0.
 */
export function ledgerFrom(store: Store, periodStart: Instant): number {
  const stored = storedPeriod(store);
  return stored !== undefined && stored.start <= periodStart && "ledgerFrom" in stored
    ? (stored.ledgerFrom ?? 0)
    : 0;
}

/**
 * The workspace's schedule as stored. Before any is stored (or if it follows another anchor,
 * which a subscription change never leaves behind) the anchor's months are the periods. A
 * legacy record always began on an occurrence of its anchor, so its end is the next one.
 */
function loadSchedule(ctx: WorkspaceContext): Schedule {
  const anchor = ctx.subscription.periodAnchor;
  const stored = storedPeriod(ctx.store);
  if (stored === undefined || stored.anchor !== anchor) return scheduleAt(anchor, ctx.now);
  const end = "end" in stored ? stored.end : periodAt(anchor, stored.start).end;
  return { anchor, start: stored.start, end };
}

/**
 * The period in force now: exact at any instant, whether or not a settle has run since. From
 * the object's counters when it passes them (they are only passed while no period ended).
 */
export const currentPeriod = (ctx: WorkspaceContext): Period =>
  ctx.counters?.period ?? periodOf(loadSchedule(ctx), ctx.now);

/** Packages that count at `at`: now < expiresAt. */
const activePackages = (store: Store, at: Instant): PackageRow[] =>
  store.all<PackageRow>(
    "SELECT id, credits, expires_at, created_at, updated_at FROM credit_packages WHERE expires_at > ? ORDER BY expires_at, id",
    at,
  );

const sumBy = (rows: { feature: string; n: number }[]): Map<string, number> =>
  new Map(rows.map((r) => [r.feature, r.n]));

const storedUsage = (store: Store, periodStart: Instant): Map<string, number> =>
  sumBy(
    store.all("SELECT feature, used AS n FROM credit_usage WHERE period_start = ?", periodStart),
  );

/** Credits used per feature in the period that started at `periodStart`. */
function usedByFeature(store: Store, periodStart: Instant): Map<string, number> {
  const used = storedUsage(store, periodStart);
  const carried = carriedAt(store, periodStart);
  if (carried !== undefined) {
    for (const [feature, n] of Object.entries(carried.used)) {
      used.set(feature, (used.get(feature) ?? 0) - n);
    }
  }
  return used;
}

const storedHolds = (store: Store): Map<string, number> =>
  sumBy(store.all("SELECT feature, held AS n FROM credit_holds"));

/**
 * Open holds per feature as the clock sees them: the running sum minus holds whose TTL has
 * passed but which settle has not applied yet (an indexed range, normally empty).
 */
function heldByFeature(store: Store, now: Instant): Map<string, number> {
  const held = storedHolds(store);
  const lapsed = store.all<{ feature: string; n: number }>(
    "SELECT feature, SUM(credits) AS n FROM credit_reservations WHERE state = 'open' AND expires_at <= ? GROUP BY feature",
    now,
  );
  for (const { feature, n } of lapsed) held.set(feature, (held.get(feature) ?? 0) - n);
  return held;
}

const featureLimits = (store: Store): Map<string, number> =>
  sumBy(store.all("SELECT feature, credit_limit AS n FROM credit_feature_limits"));

const announcedThresholds = (store: Store, periodStart: Instant): Set<number> =>
  new Set(
    store
      .all<{ percent: number }>(
        "SELECT percent FROM credit_thresholds WHERE period_start = ?",
        periodStart,
      )
      .map((r) => r.percent),
  );

const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * The counters as stored at ctx.now, for the object to keep in memory. Only exact while nothing
 * is due (the object reloads them after its next deadline), so holds are taken as stored.
 */
export function loadCreditCounters(ctx: WorkspaceContext): CreditCounters {
  const period = currentPeriod({ ...ctx, counters: undefined });
  return {
    period,
    packages: activePackages(ctx.store, ctx.now),
    used: usedByFeature(ctx.store, period.start),
    held: storedHolds(ctx.store),
    featureLimits: featureLimits(ctx.store),
    announced: announcedThresholds(ctx.store, period.start),
    holdExpiry: null,
  };
}

/** Everything a credit decision or view needs, from counters only. */
export interface CreditState {
  period: Period;
  packages: PackageRow[];
  addOnCredits: number;
  pool: Pool;
  features: Record<AiFeature, FeatureUse>;
}

/** From the object's counters when it passes them (no storage read), else from storage. */
export function loadCreditState(ctx: WorkspaceContext): CreditState {
  const c = ctx.counters;
  const period = c?.period ?? currentPeriod(ctx);
  const packages = c?.packages ?? activePackages(ctx.store, ctx.now);
  const used = c?.used ?? usedByFeature(ctx.store, period.start);
  const held = c?.held ?? heldByFeature(ctx.store, ctx.now);
  const limits = c?.featureLimits ?? featureLimits(ctx.store);
  const addOnCredits = packages.reduce((sum, p) => sum + p.credits, 0);
  const features = Object.fromEntries(
    AI_FEATURES.map((feature) => [
      feature,
      {
        feature,
        used: used.get(feature) ?? 0,
        held: held.get(feature) ?? 0,
        limit: limits.get(feature) ?? null,
        inPlan: ctx.limits.features.includes(feature),
      },
    ]),
  ) as Record<AiFeature, FeatureUse>;
  return {
    period,
    packages,
    addOnCredits,
    pool: {
      balance: ctx.limits.includedCredits + addOnCredits,
      used: total(used),
      held: total(held),
    },
    features,
  };
}

/** The pool alone, which a threshold needs: from the counters without building every feature. */
function poolOf(ctx: WorkspaceContext): Pool {
  const c = ctx.counters;
  if (c === undefined) return loadCreditState(ctx).pool;
  return {
    balance: ctx.limits.includedCredits + c.packages.reduce((sum, p) => sum + p.credits, 0),
    used: total(c.used),
    held: total(c.held),
  };
}

// ---- writing -------------------------------------------------------------------------------

type LedgerKind = "debit" | "hold" | "commit" | "release" | "expire" | "question";

interface LedgerEntry {
  at: Instant;
  kind: LedgerKind;
  feature: AiFeature | null;
  credits: number;
  reservationId?: string;
  periodStart: Instant;
  meta?: CallMeta;
}

function appendLedger(store: Store, e: LedgerEntry): void {
  store.run(
    `INSERT INTO credit_ledger (at, kind, feature, credits, reservation_id, idempotency_key, role, period_start)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    e.at,
    e.kind,
    e.feature,
    e.credits,
    e.reservationId ?? null,
    e.meta?.idempotencyKey ?? null,
    e.meta?.role ?? null,
    e.periodStart,
  );
}

interface LedgerRow {
  id: number;
  at: number;
  kind: LedgerKind;
  feature: AiFeature | null;
  credits: number;
  reservation_id: string | null;
  idempotency_key: string | null;
  role: string | null;
  period_start: number;
}

/**
 * The ledger in order, a page after a cursor: the audit trail behind every figure (used per
 * period and per feature are its sums). Kept 400 days, like the rest of the credit history.
 */
export async function ledgerPage(ctx: WorkspaceContext, after: string | undefined, limit: number) {
  const { store } = ctx;
  const workspaceId = ctx.subscription.workspaceId;
  const cursor = await readCursor(store, "ledger", workspaceId, "credit_ledger", after);
  if (!cursor.ok) return cursor;
  const rows = store.all<LedgerRow>(
    `SELECT id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start
     FROM credit_ledger WHERE id > ? ORDER BY id LIMIT ?`,
    cursor.value?.[0] ?? 0,
    limit + 1,
  );
  const page = rows.slice(0, limit);
  return ok({
    entries: page.map((r) => ({
      id: r.id,
      at: iso(r.at),
      kind: r.kind,
      feature: r.feature,
      credits: r.credits,
      reservationId: r.reservation_id,
      idempotencyKey: r.idempotency_key,
      role: r.role,
      periodStart: iso(r.period_start),
    })),
    nextCursor: await nextCursor(store, "ledger", workspaceId, cursor.value, page.at(-1)?.id),
    hasMore: rows.length > limit,
  });
}

/** Adds to a counter kept both in storage and, when the object passes them, in memory. */
const bump = (m: Map<string, number> | undefined, feature: string, n: number): void => {
  m?.set(feature, (m.get(feature) ?? 0) + n);
};

function addUsed(ctx: WorkspaceContext, periodStart: Instant, feature: AiFeature, credits: number) {
  ctx.store.run(
    `INSERT INTO credit_usage (period_start, feature, used) VALUES (?, ?, ?)
     ON CONFLICT (period_start, feature) DO UPDATE SET used = used + excluded.used`,
    periodStart,
    feature,
    credits,
  );
  if (ctx.counters?.period.start === periodStart) bump(ctx.counters.used, feature, credits);
}

function addHeld(ctx: WorkspaceContext, feature: AiFeature, credits: number): void {
  ctx.store.run(
    `INSERT INTO credit_holds (feature, held) VALUES (?, ?)
     ON CONFLICT (feature) DO UPDATE SET held = held + excluded.held`,
    feature,
    credits,
  );
  bump(ctx.counters?.held, feature, credits);
}

/** Announces 80 % and 100 % once per period each, in the transaction that crossed them. */
function applyThresholds(ctx: WorkspaceContext, period: PeriodBounds): void {
  const c = ctx.counters;
  const announced =
    c !== undefined && c.period.start === period.start
      ? c.announced
      : announcedThresholds(ctx.store, period.start);
  if (announced.size === THRESHOLD_PERCENTS.length) return;
  const pool = poolOf(ctx);
  const events: PolicyEvent[] = [];
  for (const percent of reachedThresholds(pool.used, pool.balance)) {
    if (announced.has(percent)) continue;
    ctx.store.run(
      "INSERT INTO credit_thresholds (period_start, percent) VALUES (?, ?)",
      period.start,
      percent,
    );
    announced.add(percent);
    events.push(thresholdEvent(percent, period, pool));
  }
  recordEvents(ctx.store, events, ctx.now);
}

// ---- decisions -----------------------------------------------------------------------------

export interface SpendRequest {
  feature: AiFeature;
  credits: number;
}

function decide(ctx: WorkspaceContext, state: CreditState, req: SpendRequest, mode: SpendMode) {
  const feature = state.features[req.feature];
  return decideSpend(
    {
      feature,
      pool: state.pool,
      credits: req.credits,
      period: state.period,
      plan: ctx.subscription.plan,
      upgradeTo: feature.inPlan ? undefined : planOffering(req.feature, ctx.subscription),
    },
    mode,
  );
}

/** The preflight: the same decision as a consume, with no write of any kind. */
export function checkCredits(ctx: WorkspaceContext, req: SpendRequest): SpendDecision {
  return decide(ctx, loadCreditState(ctx), req, "check");
}

/** Check and debit in one step: the caller's transaction makes it atomic. */
export function consumeCredits(
  ctx: WorkspaceContext,
  req: SpendRequest,
  meta: CallMeta,
): SpendDecision {
  const state = loadCreditState(ctx);
  const decision = decide(ctx, state, req, "debit");
  if (!decision.allowed) return decision;
  const periodStart = state.period.start;
  addUsed(ctx, periodStart, req.feature, req.credits);
  appendLedger(ctx.store, {
    at: ctx.now,
    kind: "debit",
    feature: req.feature,
    credits: req.credits,
    periodStart,
    meta,
  });
  applyThresholds(ctx, state.period);
  return decision;
}

export interface ReserveRequest extends SpendRequest {
  ttlSeconds?: number;
}

export type ReserveDecision = SpendDecision & {
  reservationId: string | null;
  expiresAt: string | null;
  ttlSeconds: number;
};

export function reserveCredits(
  ctx: WorkspaceContext,
  req: ReserveRequest,
  meta: CallMeta,
): ReserveDecision {
  const ttlSeconds = req.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const state = loadCreditState(ctx);
  const decision = decide(ctx, state, req, "hold");
  if (!decision.allowed) return { ...decision, reservationId: null, expiresAt: null, ttlSeconds };
  const id = `rsv_${crypto.randomUUID().replaceAll("-", "")}`;
  const expiresAt = reservationExpiry(ctx.now, ttlSeconds);
  ctx.store.run(
    `INSERT INTO credit_reservations (id, feature, credits, state, created_at, expires_at)
     VALUES (?, ?, ?, 'open', ?, ?)`,
    id,
    req.feature,
    req.credits,
    ctx.now,
    expiresAt,
  );
  addHeld(ctx, req.feature, req.credits);
  const c = ctx.counters;
  if (c !== undefined && (c.holdExpiry === null || expiresAt < c.holdExpiry)) {
    c.holdExpiry = expiresAt;
  }
  appendLedger(ctx.store, {
    at: ctx.now,
    kind: "hold",
    feature: req.feature,
    credits: req.credits,
    reservationId: id,
    periodStart: state.period.start,
    meta,
  });
  return {
    ...decision,
    message: `${decision.message} The hold expires at ${humanInstant(expiresAt)} unless committed or released.`,
    reservationId: id,
    expiresAt: iso(expiresAt),
    ttlSeconds,
  };
}

// ---- reservations --------------------------------------------------------------------------

interface ReservationRow {
  id: string;
  feature: AiFeature;
  credits: number;
  state: ReservationState;
  created_at: number;
  expires_at: number;
  charged: number | null;
  closed_at: number | null;
}

function loadReservation(store: Store, id: string): Reservation | undefined {
  const row = store.one<ReservationRow>("SELECT * FROM credit_reservations WHERE id = ?", id);
  return row === undefined
    ? undefined
    : {
        id: row.id,
        feature: row.feature,
        credits: row.credits,
        state: row.state,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        charged: row.charged,
        closedAt: row.closed_at,
      };
}

/** The pool and the reservation's feature after a commit or release, for its answer. */
function figuresAfter(ctx: WorkspaceContext, feature: AiFeature) {
  const state = loadCreditState(ctx);
  const f = state.features[feature];
  return {
    pool: state.pool,
    period: state.period,
    figures: {
      monthlyBalance: state.pool.balance,
      used: state.pool.used,
      held: state.pool.held,
      remaining: remainingOf(state.pool),
      featureLimit: f.limit,
      featureUsed: f.used,
      featureHeld: f.held,
      featureRemaining: featureRemainingOf(f),
      periodStart: iso(state.period.start),
      nextResetAt: iso(state.period.end),
    },
  };
}

function closeReservation(
  ctx: WorkspaceContext,
  r: Reservation,
  state: "committed" | "released",
  charged: number | null,
): void {
  ctx.store.run(
    "UPDATE credit_reservations SET state = ?, charged = ?, closed_at = ? WHERE id = ?",
    state,
    charged,
    ctx.now,
    r.id,
  );
  addHeld(ctx, r.feature, -r.credits);
}

export function reservationView(r: Reservation, now: Instant) {
  return {
    reservationId: r.id,
    feature: r.feature,
    credits: r.credits,
    state: stateAt(r, now),
    createdAt: iso(r.createdAt),
    expiresAt: iso(r.expiresAt),
    charged: r.charged,
    closedAt: r.closedAt === null ? null : iso(r.closedAt),
  };
}

export function getReservation(ctx: WorkspaceContext, id: string) {
  const r = loadReservation(ctx.store, id);
  return r === undefined
    ? fail("not_found", `No reservation ${id} in this workspace.`)
    : ok(reservationView(r, ctx.now));
}

/**
 * Charges the actual cost of a reserved call, whatever it is: the work was done. An overrun is
 * charged too and may take remaining below zero, which refuses later spends. The charge lands
 * in the period of the commit, the moment the cost became known.
 */
export function commitReservation(
  ctx: WorkspaceContext,
  id: string,
  actual: number,
  meta: CallMeta,
) {
  const r = loadReservation(ctx.store, id);
  const problem = closeProblem(r, ctx.now);
  if (problem !== undefined || r === undefined) {
    return fail(problem?.code ?? "reservation_not_found", problem?.message ?? "");
  }
  const period = currentPeriod(ctx);
  const { charged, overrun } = commitFigures(r.credits, actual);
  closeReservation(ctx, r, "committed", charged);
  if (charged > 0) addUsed(ctx, period.start, r.feature, charged);
  appendLedger(ctx.store, {
    at: ctx.now,
    kind: "commit",
    feature: r.feature,
    credits: charged,
    reservationId: r.id,
    periodStart: period.start,
    meta,
  });
  applyThresholds(ctx, period);
  const after = figuresAfter(ctx, r.feature);
  return ok({
    reservationId: r.id,
    state: "committed" as const,
    feature: r.feature,
    reserved: r.credits,
    charged,
    overrun,
    committedAt: iso(ctx.now),
    message: commitMessage(r, charged, overrun, after.pool, after.period),
    ...after.figures,
  });
}

export function releaseReservation(ctx: WorkspaceContext, id: string, meta: CallMeta) {
  const r = loadReservation(ctx.store, id);
  const problem = closeProblem(r, ctx.now);
  if (problem !== undefined || r === undefined) {
    return fail(problem?.code ?? "reservation_not_found", problem?.message ?? "");
  }
  closeReservation(ctx, r, "released", null);
  appendLedger(ctx.store, {
    at: ctx.now,
    kind: "release",
    feature: r.feature,
    credits: r.credits,
    reservationId: r.id,
    periodStart: currentPeriod(ctx).start,
    meta,
  });
  const after = figuresAfter(ctx, r.feature);
  return ok({
    reservationId: r.id,
    state: "released" as const,
    feature: r.feature,
    reserved: r.credits,
    released: r.credits,
    releasedAt: iso(ctx.now),
    message: releaseMessage(r, after.pool, after.period),
    ...after.figures,
  });
}

// ---- feature limits and packages -----------------------------------------------------------

function featureView(f: FeatureUse) {
  return {
    feature: f.feature,
    inPlan: f.inPlan,
    averageCost: AVERAGE_CREDIT_COST[f.feature],
    creditsUsed: f.used,
    creditsHeld: f.held,
    creditLimit: f.limit,
    creditsRemaining: featureRemainingOf(f),
    estimatedRequests: estimatedRequests(f.feature, f.limit),
  };
}

/** A cap reserves nothing; 0 stops the feature; below what was used stops it too. */
export function setFeatureLimit(ctx: WorkspaceContext, feature: AiFeature, limit: number | null) {
  if (limit === null) {
    ctx.store.run("DELETE FROM credit_feature_limits WHERE feature = ?", feature);
  } else {
    ctx.store.run(
      `INSERT INTO credit_feature_limits (feature, credit_limit) VALUES (?, ?)
       ON CONFLICT (feature) DO UPDATE SET credit_limit = excluded.credit_limit`,
      feature,
      limit,
    );
  }
  return ok(featureView(loadCreditState(ctx).features[feature]));
}

export interface PackageInput {
  id: string;
  credits: number;
  expiresAt: string;
}

const packageView = (p: Pick<PackageRow, "id" | "credits" | "expires_at">) => ({
  id: p.id,
  credits: p.credits,
  expiresAt: iso(p.expires_at),
});

/** Creates the package, or replaces its credits and expiry when the id exists (PUT-like). */
export function putPackage(ctx: WorkspaceContext, input: PackageInput) {
  const expiresAt = Date.parse(input.expiresAt);
  const existing = ctx.store.one<PackageRow>(
    "SELECT * FROM credit_packages WHERE id = ?",
    input.id,
  );
  const active = expiresAt > ctx.now;
  if (active) {
    const others = activePackages(ctx.store, ctx.now).filter((p) => p.id !== input.id).length;
    if (others >= MAX_ACTIVE_PACKAGES) {
      return fail(
        "too_many_packages",
        `This workspace already has ${MAX_ACTIVE_PACKAGES} active credit packages; update one (same id) or let one expire.`,
      );
    }
  }
  ctx.store.run(
    `INSERT INTO credit_packages (id, credits, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET credits = excluded.credits, expires_at = excluded.expires_at,
       updated_at = excluded.updated_at`,
    input.id,
    input.credits,
    expiresAt,
    ctx.now,
    ctx.now,
  );
  const state = loadCreditState(ctx);
  return ok({
    ...packageView({ id: input.id, credits: input.credits, expires_at: expiresAt }),
    active,
    created: existing === undefined,
    createdAt: iso(existing?.created_at ?? ctx.now),
    updatedAt: iso(ctx.now),
    monthlyBalance: state.pool.balance,
    addOnCredits: state.addOnCredits,
  });
}

// ---- Copilot Kommo questions ---------------------------------------------------------------

const storedQuestions = (store: Store, periodStart: Instant): number =>
  store.one<{ used: number }>(
    "SELECT used FROM copilot_questions WHERE period_start = ?",
    periodStart,
  )?.used ?? 0;

/** Copilot questions asked in the period that started at `periodStart`. */
const questionsUsed = (store: Store, periodStart: Instant): number =>
  storedQuestions(store, periodStart) - (carriedAt(store, periodStart)?.questions ?? 0);

export function consumeQuestion(ctx: WorkspaceContext, meta: CallMeta): QuestionDecision {
  const period = currentPeriod(ctx);
  const decision = decideQuestion(
    questionsUsed(ctx.store, period.start),
    ctx.limits.copilotQuestions,
    period,
  );
  if (!decision.allowed) return decision;
  ctx.store.run(
    `INSERT INTO copilot_questions (period_start, used) VALUES (?, 1)
     ON CONFLICT (period_start) DO UPDATE SET used = used + 1`,
    period.start,
  );
  appendLedger(ctx.store, {
    at: ctx.now,
    kind: "question",
    feature: null,
    credits: 1,
    periodStart: period.start,
    meta,
  });
  return decision;
}

function questionsSection(ctx: WorkspaceContext, period: Period) {
  const used = questionsUsed(ctx.store, period.start);
  const limit = ctx.limits.copilotQuestions;
  return {
    used,
    limit,
    remaining: limit === null ? null : limit - used,
    nextResetAt: iso(period.end),
  };
}

// ---- views ---------------------------------------------------------------------------------

/** GET credits: the pool, its packages (active ones only) and every feature of the catalogue. */
export function creditsView(ctx: WorkspaceContext) {
  const state = loadCreditState(ctx);
  const { pool, period } = state;
  return {
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
    monthlyBalance: pool.balance,
    includedPerSeat: ctx.limits.aiCreditsPerSeat,
    seats: ctx.subscription.seats,
    includedCredits: ctx.limits.includedCredits,
    addOnCredits: state.addOnCredits,
    packages: state.packages.map(packageView),
    used: pool.used,
    held: pool.held,
    remaining: remainingOf(pool),
    percentUsed: percentUsed(pool.used, pool.balance),
    features: AI_FEATURES.map((f) => featureView(state.features[f])),
    copilotQuestions: questionsSection(ctx, period),
  };
}

/** The credits section of GET usage: `limit` is the monthly balance. */
export function creditsUsage(ctx: WorkspaceContext) {
  const { pool, period } = loadCreditState(ctx);
  return {
    used: pool.used,
    limit: pool.balance,
    held: pool.held,
    remaining: remainingOf(pool),
    percentUsed: percentUsed(pool.used, pool.balance),
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
  };
}

/** The copilotQuestions section of GET usage. */
export const copilotQuestionsUsage = (ctx: WorkspaceContext) =>
  questionsSection(ctx, currentPeriod(ctx));

// ---- due work ------------------------------------------------------------------------------

/** The balance in force at a period's last instant: packages that existed and had not expired. */
function balanceAtEnd(ctx: WorkspaceContext, end: Instant): number {
  const row = ctx.store.one<{ n: number | null }>(
    "SELECT SUM(credits) AS n FROM credit_packages WHERE expires_at >= ? AND created_at < ?",
    end,
    end,
  );
  return ctx.limits.includedCredits + (row?.n ?? 0);
}

function endedPeriod(ctx: WorkspaceContext, start: Instant, end: Instant): EndedPeriod {
  return { start, used: total(usedByFeature(ctx.store, start)), balance: balanceAtEnd(ctx, end) };
}

/**
 * Notices renewals: one `credits.reset` per period start passed since the last settle, at that
 * instant, each with the figures of the period it closed. Counters need no reset: they are
 * keyed by period start (a start two periods share is told apart by what it carries). A
 * changed anchor is not a renewal: the subscription change announces it (setPeriodAnchor).
 */
function applyRenewals(ctx: WorkspaceContext, schedule: Schedule): void {
  const stored = storedPeriod(ctx.store);
  const next = scheduleOf(schedule, ctx.now);
  if (
    stored !== undefined &&
    "end" in stored &&
    stored.anchor === next.anchor &&
    stored.start === next.start &&
    stored.end === next.end
  ) {
    return;
  }
  // The figures first: the closed periods' usage is read with what the stored record carries.
  const events = renewalsSince(schedule, ctx.now, MAX_RESET_EVENTS).map(({ ended, started }) =>
    resetEvent(started.start, started.end, endedPeriod(ctx, ended.start, ended.end)),
  );
  storeSchedule(ctx.store, next);
  if (events.length === 0) return;
  recordEvents(ctx.store, events, ctx.now);
  const cutoff = ctx.now - HISTORY_RETENTION_MS;
  ctx.store.run("DELETE FROM credit_usage WHERE period_start < ?", cutoff);
  ctx.store.run("DELETE FROM credit_thresholds WHERE period_start < ?", cutoff);
  ctx.store.run("DELETE FROM copilot_questions WHERE period_start < ?", cutoff);
}

/**
 * PUT subscription's part in the periods, called before the new subscription is stored. A new
 * subscription starts on its anchor's month containing now. A changed anchor (PRODUCT §3) ends
 * the period in force now, announced by a `credits.reset` with that period's figures and the
 * balance in force before the change (the previous plan, seats and packages), and starts a new
 * one from now to the new anchor's next occurrence; or keeps the period in force when its
 * bounds do not move (see changeAnchor).
 */
export function setPeriodAnchor(
  store: Store,
  previous: Subscription | undefined,
  anchor: Instant,
  now: Instant,
): void {
  if (previous === undefined) {
    storeSchedule(store, scheduleAt(anchor, now));
    return;
  }
  if (previous.periodAnchor === anchor) return;
  const before: WorkspaceContext = {
    store,
    subscription: previous,
    limits: effectiveLimits(previous),
    now,
  };
  const change = changeAnchor(loadSchedule(before), anchor, now);
  if (change.kind === "kept") {
    storeSchedule(store, change.schedule);
    return;
  }
  // Figures of the period in force (the one that ends), as they stand before the change.
  const { pool } = loadCreditState(before);
  const ended = { start: change.ended.start, used: pool.used, balance: pool.balance };
  recordEvents(store, [resetEvent(change.schedule.start, change.schedule.end, ended)], now);
  if (!change.sharesStart) {
    storeSchedule(store, change.schedule);
    return;
  }
  // The new period starts where the ended one did: everything counted under that start so far
  // is the ended period's, and its 80/100 % announcements were its own.
  const { start } = change.schedule;
  store.run("DELETE FROM credit_thresholds WHERE period_start = ?", start);
  storeSchedule(store, change.schedule, {
    start,
    used: Object.fromEntries(storedUsage(store, start)),
    questions: storedQuestions(store, start),
  });
}

/**
 * Frees holds whose TTL passed: the ledger says when (in the period in force then, from the
 * schedule of the last settle), the counters stop holding them.
 */
function expireReservations(ctx: WorkspaceContext, schedule: Schedule): void {
  const due = ctx.store.all<ReservationRow>(
    "SELECT * FROM credit_reservations WHERE state = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
    ctx.now,
    BATCH,
  );
  for (const r of due) {
    ctx.store.run(
      "UPDATE credit_reservations SET state = 'expired', closed_at = ? WHERE id = ?",
      r.expires_at,
      r.id,
    );
    addHeld(ctx, r.feature, -r.credits);
    appendLedger(ctx.store, {
      at: r.expires_at,
      kind: "expire",
      feature: r.feature,
      credits: r.credits,
      reservationId: r.id,
      periodStart: periodOf(schedule, r.expires_at).start,
    });
  }
}

/** Rows pruned per table per housekeeping run; a full batch has the alarm come back at once. */
const PRUNE_BATCH = 1_000;

/**
 * Bounded retention, run by housekeeping (the alarm, the cron, a test clock move), never by a
 * check or spend: old rows of each history table, oldest first. True when a batch was full.
 * The ledger is pruned in id order (its insertion order, which follows `at` up to a hold's TTL),
 * so appending to it updates no index on `at`.
 */
function pruneCredits(store: Store, now: Instant): boolean {
  const deleted = [
    store.all(
      `DELETE FROM credit_reservations WHERE id IN (
         SELECT id FROM credit_reservations WHERE closed_at < ? ORDER BY closed_at LIMIT ?)
       RETURNING 1`,
      now - CLOSED_RESERVATION_RETENTION_MS,
      PRUNE_BATCH,
    ).length,
    store.all(
      `DELETE FROM credit_ledger WHERE id IN (
         SELECT id FROM credit_ledger ORDER BY id LIMIT ?) AND at < ?
       RETURNING 1`,
      PRUNE_BATCH,
      now - HISTORY_RETENTION_MS,
    ).length,
    store.all(
      `DELETE FROM credit_packages WHERE id IN (
         SELECT id FROM credit_packages WHERE expires_at < ? ORDER BY expires_at LIMIT ?)
       RETURNING 1`,
      now - HISTORY_RETENTION_MS,
      PRUNE_BATCH,
    ).length,
  ];
  return deleted.some((n) => n >= PRUNE_BATCH);
}

/** When the oldest kept credit history passes its retention (null: nothing kept). */
function creditsPruneDeadline(store: Store): Instant | null {
  const closed = store.one<{ at: number | null }>(
    "SELECT MIN(closed_at) AS at FROM credit_reservations",
  )?.at;
  const ledger = store.one<{ at: number }>("SELECT at FROM credit_ledger ORDER BY id LIMIT 1")?.at;
  const pkg = store.one<{ at: number | null }>(
    "SELECT MIN(expires_at) AS at FROM credit_packages",
  )?.at;
  return earliest(
    closed == null ? null : closed + CLOSED_RESERVATION_RETENTION_MS,
    ledger == null ? null : ledger + HISTORY_RETENTION_MS,
    pkg == null ? null : pkg + HISTORY_RETENTION_MS,
  );
}

export const creditsDomain: Domain = {
  migrations: creditMigrations,
  settle(ctx) {
    const schedule = loadSchedule(ctx);
    const period = periodOf(schedule, ctx.now);
    applyRenewals(ctx, schedule);
    expireReservations(ctx, schedule);
    // A balance can drop without a spend (a package expires, seats go down).
    applyThresholds(ctx, period);
  },
  nextDeadline(ctx) {
    const hold = ctx.store.one<{ at: number | null }>(
      "SELECT MIN(expires_at) AS at FROM credit_reservations WHERE state = 'open'",
    )?.at;
    const pkg = ctx.store.one<{ at: number | null }>(
      "SELECT MIN(expires_at) AS at FROM credit_packages WHERE expires_at > ?",
      ctx.now,
    )?.at;
    return earliest(currentPeriod(ctx).end, hold ?? null, pkg ?? null);
  },
  prune: pruneCredits,
  pruneDeadline: creditsPruneDeadline,
};
