/**
 * The history checker: replays a workspace's credit ledger (GET credits/ledger, in id order,
 * which is the order the workspace object serialised its transactions in) and answers every
 * way the history breaks the credit rules. Pure: no Worker, no clock, no storage, so the same
 * code checks a run inside workerd and a crash run against `wrangler dev` from Node.
 *
 * What "in force" means for a change the ledger does not record (a feature cap, a package, the
 * seats): the client that makes the change brackets it with two marker calls that do write the
 * ledger (a Copilot question each, with its own Idempotency-Key), so the change took effect at
 * some split point between the two markers. A history is accepted when, for every change, one
 * split point exists such that every grant before it fits the old figures and every grant after
 * it fits the new ones. Changes are made one at a time by one client, so the brackets never
 * overlap.
 */

import type { LedgerEntry, Schemas } from "../support/schemas";

/** One row of GET credits/ledger, as the generated client types it. */
export type { LedgerEntry };
export type LedgerKind = LedgerEntry["kind"];

/** The figures a grant is judged against: the monthly balance and every feature's cap. */
export interface Limits {
  balance: number;
  /** Credits of the top-ups bought so far (none expires during a run); absent: none. */
  topups?: number;
  /** Absent or null: uncapped. */
  caps: Record<string, number | null>;
}

/** A change outside the ledger, bracketed by the ledger ids of its two markers. */
export interface Change {
  label: string;
  /** Ledger id of the marker written before the change was sent. */
  before: number;
  /** Ledger id of the marker written after the change was acknowledged. */
  after: number;
  /** The limits in force once the change took effect. */
  limits: Limits;
}

/** What a client saw: the answer to one call made with an Idempotency-Key. */
export interface Observation {
  key: string;
  /** The ledger row the call writes when it succeeds. */
  kind: "debit" | "hold" | "commit" | "release";
  /** Allowed decision or 2xx: exactly one ledger row must carry the key; else none. */
  granted: boolean;
  /** The pool the answer reported after the call, when it reported one. */
  used?: number;
  held?: number;
}

export interface Violation {
  entry?: number;
  key?: string;
  what: string;
}

export interface Verdict {
  /** A debit or hold granted beyond the balance or a cap in force (no split point fits). */
  overspend: Violation[];
  /** A key charged more than once, or a reservation committed or closed twice. */
  doubleCharges: Violation[];
  /** An acknowledged grant with no ledger row. */
  lost: Violation[];
  /** A refused call that left a ledger row anyway, or a row no client's call explains. */
  phantom: Violation[];
  /** An answer whose figures disagree with the ledger at its row. */
  mismatched: Violation[];
  /** Rows checked. */
  entries: number;
}

interface Pool {
  used: Map<string, Map<string, number>>;
  held: Map<string, number>;
  open: Map<string, { feature: string; credits: number; topups: number }>;
  /** Per period, the part of `used` that top-ups paid (the ledger's sources say which). */
  topupUsedIn: Map<string, number>;
  /** Top-ups' credits paid in any period, and held by open reservations. */
  topupUsed: number;
  topupHeld: number;
}

/** The credits of an entry that a top-up paid, held or got back: every source but the pool. */
const topupPart = (e: LedgerEntry): number =>
  (e.sources ?? []).reduce((n, s) => (s.source === "pool" ? n : n + s.credits), 0);

/** What the pool alone paid and holds, as an answer reports `used` and `held`. */
const poolFigures = (pool: Pool, period: string) => ({
  used: sum(pool.used.get(period)) - (pool.topupUsedIn.get(period) ?? 0),
  held: sum(pool.held) - pool.topupHeld,
});

const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
const sum = (m: Map<string, number> | undefined) =>
  [...(m?.values() ?? [])].reduce((a, b) => a + b, 0);

/** Whether a debit or hold of `credits` on `feature` fits `limits` given the pool before it. */
function fits(pool: Pool, period: string, limits: Limits, feature: string, credits: number) {
  const used = pool.used.get(period);
  const own = poolFigures(pool, period);
  const topups = (limits.topups ?? 0) - pool.topupUsed - pool.topupHeld;
  const remaining = limits.balance - own.used - own.held + topups;
  if (credits > remaining) return false;
  const cap = limits.caps[feature] ?? null;
  if (cap === null) return true;
  return credits <= cap - (used?.get(feature) ?? 0) - (pool.held.get(feature) ?? 0);
}

/** Checks one ledger history against the limits in force and the clients' observations. */
export function checkHistory(input: {
  initial: Limits;
  changes: Change[];
  entries: LedgerEntry[];
  observations: Observation[];
}): Verdict {
  const verdict: Verdict = {
    overspend: [],
    doubleCharges: [],
    lost: [],
    phantom: [],
    mismatched: [],
    entries: input.entries.length,
  };
  const entries = [...input.entries].sort((a, b) => a.id - b.id);
  const changes = [...input.changes].sort((a, b) => a.before - b.before);
  for (const [i, c] of changes.entries()) {
    const next = changes[i + 1];
    if (c.after <= c.before || (next !== undefined && next.before < c.after)) {
      throw new Error(`change brackets must be ordered and disjoint: ${c.label}`);
    }
  }

  // Replay: the pool before each row, and whether each grant fits the limits before and after
  // the change whose bracket it falls in.
  const pool: Pool = {
    used: new Map(),
    held: new Map(),
    open: new Map(),
    topupUsedIn: new Map(),
    topupUsed: 0,
    topupHeld: 0,
  };
  const paid = (e: LedgerEntry) => {
    const n = topupPart(e);
    pool.topupUsed += n;
    pool.topupUsedIn.set(e.periodStart, (pool.topupUsedIn.get(e.periodStart) ?? 0) + n);
  };
  const closed = new Set<string>();
  const after = new Map<number, { used: number; held: number }>();
  type Grant = { entry: LedgerEntry; fitsOld: boolean; fitsNew: boolean };
  const windows: Grant[][] = changes.map(() => []);
  let ci = 0;
  let inForce = input.initial;
  for (const e of entries) {
    // Past a change's closing marker, its new limits are in force.
    while (ci < changes.length && e.id >= (changes[ci] as Change).after) {
      inForce = (changes[ci] as Change).limits;
      ci++;
    }
    const bracket = ci < changes.length && e.id > (changes[ci] as Change).before ? ci : -1;
    const feature = e.feature ?? "";
    if (e.kind === "debit" || e.kind === "hold") {
      if (bracket >= 0) {
        const change = changes[bracket] as Change;
        (windows[bracket] as Grant[]).push({
          entry: e,
          fitsOld: fits(pool, e.periodStart, inForce, feature, e.credits),
          fitsNew: fits(pool, e.periodStart, change.limits, feature, e.credits),
        });
      } else if (!fits(pool, e.periodStart, inForce, feature, e.credits)) {
        verdict.overspend.push({
          entry: e.id,
          key: e.idempotencyKey ?? undefined,
          what: `${e.kind} of ${e.credits} on ${feature} beyond the balance or cap in force`,
        });
      }
    }
    switch (e.kind) {
      case "debit": {
        const used = pool.used.get(e.periodStart) ?? new Map<string, number>();
        pool.used.set(e.periodStart, used);
        add(used, feature, e.credits);
        paid(e);
        break;
      }
      case "hold":
        if (e.reservationId === null || pool.open.has(e.reservationId)) {
          verdict.doubleCharges.push({ entry: e.id, what: "a hold without a new reservation id" });
          break;
        }
        pool.open.set(e.reservationId, { feature, credits: e.credits, topups: topupPart(e) });
        add(pool.held, feature, e.credits);
        pool.topupHeld += topupPart(e);
        break;
      case "commit":
      case "release":
      case "expire": {
        const rid = e.reservationId ?? "";
        const hold = pool.open.get(rid);
        if (hold === undefined) {
          verdict.doubleCharges.push({
            entry: e.id,
            what: `${e.kind} of reservation ${rid}, which is ${closed.has(rid) ? "already closed" : "not held"}`,
          });
          if (e.kind === "commit") {
            const used = pool.used.get(e.periodStart) ?? new Map<string, number>();
            pool.used.set(e.periodStart, used);
            add(used, feature, e.credits);
            paid(e);
          }
          break;
        }
        pool.open.delete(rid);
        closed.add(rid);
        add(pool.held, hold.feature, -hold.credits);
        pool.topupHeld -= hold.topups;
        if (e.kind === "commit") {
          const used = pool.used.get(e.periodStart) ?? new Map<string, number>();
          pool.used.set(e.periodStart, used);
          add(used, feature, e.credits);
          paid(e);
        }
        break;
      }
      case "question":
        break;
    }
    after.set(e.id, poolFigures(pool, e.periodStart));
  }

  // A change is accepted when one split point exists in its bracket.
  for (const [i, grants] of windows.entries()) {
    const change = changes[i] as Change;
    let split = -1;
    for (let s = 0; s <= grants.length && split < 0; s++) {
      if (grants.slice(0, s).every((g) => g.fitsOld) && grants.slice(s).every((g) => g.fitsNew)) {
        split = s;
      }
    }
    if (split < 0) {
      const bad = grants.find((g) => !g.fitsOld && !g.fitsNew) ?? grants[0];
      verdict.overspend.push({
        entry: bad?.entry.id,
        key: bad?.entry.idempotencyKey ?? undefined,
        what: `no split point around "${change.label}" makes every grant fit the limits in force`,
      });
    }
  }

  // Every key charges once: a granted call has exactly one row, a refused one none.
  const byKey = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    if (e.idempotencyKey === null) continue;
    byKey.set(e.idempotencyKey, [...(byKey.get(e.idempotencyKey) ?? []), e]);
  }
  for (const [key, rows] of byKey) {
    if (rows.length > 1) {
      verdict.doubleCharges.push({ key, what: `${rows.length} ledger rows for one key` });
    }
  }
  // Every client call carries a key, so a charge under no key, or a key no client saw an
  // answer for, is a charge nobody can account for (e.g. a retry sent under a new key).
  const observed = new Set(input.observations.map((o) => o.key));
  for (const e of entries) {
    if (!["debit", "hold", "commit", "release"].includes(e.kind)) continue;
    if (e.idempotencyKey === null || !observed.has(e.idempotencyKey)) {
      verdict.phantom.push({
        entry: e.id,
        key: e.idempotencyKey ?? undefined,
        what: `a ${e.kind} no client made or saw answered`,
      });
    }
  }
  for (const o of input.observations) {
    const rows = (byKey.get(o.key) ?? []).filter((e) => e.kind === o.kind);
    if (!o.granted) {
      if (rows.length > 0)
        verdict.phantom.push({ key: o.key, what: `a refused ${o.kind} charged` });
      continue;
    }
    if (rows.length === 0) {
      verdict.lost.push({ key: o.key, what: `an acknowledged ${o.kind} is not in the ledger` });
      continue;
    }
    const row = rows[0] as LedgerEntry;
    const figures = after.get(row.id);
    if (o.used !== undefined && o.held !== undefined && figures !== undefined) {
      if (figures.used !== o.used || figures.held !== o.held) {
        verdict.mismatched.push({
          entry: row.id,
          key: o.key,
          what: `answered used ${o.used}, held ${o.held}; the ledger says ${figures.used}, ${figures.held}`,
        });
      }
    }
  }
  return verdict;
}

/** The counters GET credits reports, per feature, as the ledger's sums must give them. */
export interface Counters {
  periodStart: string;
  used: number;
  held: number;
  features: { feature: string; creditsUsed: number; creditsHeld: number }[];
}

/** Differences between the counters and the ledger's sums (empty when they agree). */
export function countersAgainstLedger(counters: Counters, entries: LedgerEntry[]): string[] {
  const used = new Map<string, number>();
  const held = new Map<string, number>();
  const open = new Map<string, LedgerEntry>();
  // `used` and `held` are the pool's: what top-ups paid or hold is theirs.
  let topupUsed = 0;
  for (const e of [...entries].sort((a, b) => a.id - b.id)) {
    const feature = e.feature ?? "";
    if ((e.kind === "debit" || e.kind === "commit") && e.periodStart === counters.periodStart) {
      add(used, feature, e.credits);
      topupUsed += topupPart(e);
    }
    if (e.kind === "hold" && e.reservationId !== null) open.set(e.reservationId, e);
    if ((e.kind === "commit" || e.kind === "release" || e.kind === "expire") && e.reservationId) {
      open.delete(e.reservationId);
    }
  }
  for (const h of open.values()) add(held, h.feature ?? "", h.credits);
  const topupHeld = [...open.values()].reduce((n, h) => n + topupPart(h), 0);
  const poolUsed = sum(used) - topupUsed;
  const poolHeld = sum(held) - topupHeld;
  const diffs: string[] = [];
  if (counters.used !== poolUsed) diffs.push(`used ${counters.used} ≠ ledger ${poolUsed}`);
  if (counters.held !== poolHeld) diffs.push(`held ${counters.held} ≠ ledger ${poolHeld}`);
  for (const f of counters.features) {
    const u = used.get(f.feature) ?? 0;
    const h = held.get(f.feature) ?? 0;
    if (f.creditsUsed !== u) diffs.push(`${f.feature} used ${f.creditsUsed} ≠ ledger ${u}`);
    if (f.creditsHeld !== h) diffs.push(`${f.feature} held ${f.creditsHeld} ≠ ledger ${h}`);
  }
  return diffs;
}

/** Every row of a workspace's ledger, page after page. */
export async function readLedger(
  get: (path: string) => Promise<{ status: number; json: unknown }>,
): Promise<LedgerEntry[]> {
  const rows: LedgerEntry[] = [];
  // Cursors are opaque: the first page names none, later pages the previous nextCursor.
  let after: string | undefined;
  for (;;) {
    const cursor = after === undefined ? "" : `&after=${encodeURIComponent(after)}`;
    const page = await get(`/credits/ledger?limit=100${cursor}`);
    if (page.status !== 200) throw new Error(`ledger page answered ${page.status}`);
    const body = page.json as Schemas["CreditLedgerPage"];
    rows.push(...body.entries);
    if (!body.hasMore) return rows;
    after = body.nextCursor;
  }
}

/** A verdict with nothing found, to compare a run's with (its `entries` count set to 0). */
export const CLEAN: Verdict = {
  overspend: [],
  doubleCharges: [],
  lost: [],
  phantom: [],
  mismatched: [],
  entries: 0,
};

/** The counts a run reports: every violation kind. */
export const violations = (v: Verdict) =>
  v.overspend.length +
  v.doubleCharges.length +
  v.lost.length +
  v.phantom.length +
  v.mismatched.length;
