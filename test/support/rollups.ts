import { env, runInDurableObject } from "cloudflare:test";
import { DAY_MS } from "../../src/policy/time";
import { Store } from "../../src/storage";
import type { RolledEntry } from "../../src/workspace/archive/rollups";
import type { WorkspaceObject } from "../../src/workspace/object";

/** A ledger entry as the roll-ups see it, with its sequence. */
export type RawEntry = RolledEntry & { id: number };

/** Runs `fn` inside the workspace's object with its storage as the service reads it. */
export const inStore = <T>(ws: string, fn: (store: Store, state: DurableObjectState) => T) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_: WorkspaceObject, state) =>
    fn(new Store(state.storage.sql), state),
  );

export const rawEntries = (store: Store): RawEntry[] =>
  store.all<RawEntry>(
    "SELECT id, at, kind, feature, credits, period_start, agent_id FROM credit_ledger ORDER BY id",
  );

const utcDay = (at: number) => Math.floor(at / DAY_MS) * DAY_MS;

/**
 * The ledger's charged credits (debits and commits) per UTC day, period, feature and agent,
 * summed from entries directly: what `creditsPerDay` must answer.
 */
export function ledgerPerDay(entries: readonly RawEntry[], fromDay: number, toDay: number) {
  const sums = new Map<
    string,
    { day: number; periodStart: number; feature: string; agent: string | null; credits: number }
  >();
  for (const e of entries) {
    if (e.kind !== "debit" && e.kind !== "commit") continue;
    const day = utcDay(e.at);
    if (day < fromDay || day >= toDay) continue;
    const key = `${day}|${e.period_start}|${e.feature}|${e.agent_id ?? ""}`;
    const sum = sums.get(key) ?? {
      day,
      periodStart: e.period_start,
      feature: e.feature ?? "",
      agent: e.agent_id,
      credits: 0,
    };
    sum.credits += e.credits;
    sums.set(key, sum);
  }
  return [...sums.values()]
    .filter((s) => s.credits !== 0)
    .sort(
      (a, b) =>
        a.day - b.day ||
        a.periodStart - b.periodStart ||
        a.feature.localeCompare(b.feature) ||
        (a.agent ?? "").localeCompare(b.agent ?? ""),
    );
}

/** Every entry summed per UTC day, period, kind, feature and agent: credits and entries. */
export function sumsByKind(entries: readonly Omit<RawEntry, "id">[]) {
  const sums: Record<string, [number, number]> = {};
  for (const e of entries) {
    const key = `${utcDay(e.at)}|${e.period_start}|${e.kind}|${e.feature ?? ""}|${e.agent_id ?? ""}`;
    const [credits, n] = sums[key] ?? [0, 0];
    sums[key] = [credits + e.credits, n + 1];
  }
  return sums;
}

/** The roll-ups summed the same way (a slice's UTC day is its day). */
export function rolledByKind(store: Store) {
  const sums: Record<string, [number, number]> = {};
  for (const r of store.all<{
    day: number;
    period_start: number;
    kind: string;
    feature: string;
    agent: string;
    credits: number;
    entries: number;
  }>("SELECT day, period_start, kind, feature, agent, credits, entries FROM credit_daily")) {
    const key = `${utcDay(r.day)}|${r.period_start}|${r.kind}|${r.feature}|${r.agent}`;
    const [credits, n] = sums[key] ?? [0, 0];
    sums[key] = [credits + r.credits, n + r.entries];
  }
  return sums;
}

export const pointerOf = (store: Store) => store.getMeta<number>("credits.rolledThrough") ?? 0;
