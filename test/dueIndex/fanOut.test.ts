import {
  env,
  evictDurableObject,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DueIndex, DueIndexEnv } from "../../src/dueIndex";
import { FAN_OUT_ATTEMPTS, FAN_OUT_BATCH, type FanOutState } from "../../src/dueIndex/fanOut";
import { advanceTimeTo, freezeTime, freshWorkspace } from "../support/helpers";

/**
 * One due index shard's part of the catalogue's durable fan-out (docs/catalogue.md, "The
 * fan-out"), on a shard object of its own (so no other test's workspaces are in it): an
 * announced generation is told to every workspace of the shard from its alarm, a batch per run,
 * its cursor kept in storage. Date is frozen (freezeTime), so workerd rings no alarm by itself:
 * each test rings them. A workspace is told when it read the schedule: its storage keeps the
 * schedule with the (frozen) instant of the read.
 */
freezeTime();

const MINUTE = 60_000;
const DUE_AT = Date.UTC(2040, 0, 1);

afterEach(() => {
  vi.restoreAllMocks();
});

type Shard = DurableObjectStub<DueIndex>;

/** A shard of its own holding `n` workspaces (ids in the index's order). */
async function shardWith(n: number): Promise<{ shard: Shard; ids: string[] }> {
  const shard = env.DUE_INDEX.getByName(`test-${freshWorkspace("fan-shard")}`);
  const prefix = freshWorkspace("fan");
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);
  for (const id of ids) await shard.report(id, DUE_AT);
  return { shard, ids };
}

/** When the workspace last read the catalogue schedule (null: never, so never told). */
const readAtOf = (ws: string) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_o, state) => {
    const row = state.storage.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'catalogue_schedule'")
      .toArray()[0];
    return row === undefined ? null : (JSON.parse(row.value) as { readAt: number }).readAt;
  });

const readAtsOf = (ids: readonly string[]) => Promise.all(ids.map(readAtOf));

/** Rings the shard's alarm until none is left; answers how many runs it took. */
async function drain(shard: Shard): Promise<number> {
  for (let runs = 0; runs < 20; runs++) {
    if (!(await runDurableObjectAlarm(shard))) return runs;
  }
  throw new Error("the fan-out is still armed after 20 runs");
}

const alarmOf = (shard: Shard) =>
  runInDurableObject(shard, (_o, state) => state.storage.getAlarm());

/** What the workspace namespace of the shard's env answers, swapped for a test. */
type Workspaces = DueIndexEnv["WORKSPACE"];

/**
 * Replaces the WORKSPACE binding of this shard's instance only (until it is evicted) with one
 * that calls `learn` instead of each workspace's learnCatalogue; `learn` gets the real call and
 * the instance.
 */
const swapWorkspaces = (
  shard: Shard,
  learn: (id: string, real: () => Promise<unknown>, instance: DueIndex) => Promise<unknown>,
) =>
  runInDurableObject(shard, (instance: DueIndex) => {
    const bound = instance as unknown as { env: DueIndexEnv };
    const real = bound.env.WORKSPACE;
    const workspaces = {
      getByName: (id: string) => ({
        learnCatalogue: () => learn(id, () => real.getByName(id).learnCatalogue(), instance),
      }),
    };
    bound.env = { ...bound.env, WORKSPACE: workspaces satisfies Workspaces };
  });

describe("a shard's fan-out", () => {
  it("tells more workspaces than one batch, a batch per alarm, then rests", async () => {
    const n = 2 * FAN_OUT_BATCH + 20;
    const { shard, ids } = await shardWith(n);
    expect(await shard.fanOut()).toEqual<FanOutState>({ generation: 0, cursor: null });

    expect(await shard.announce(1)).toBe(true);
    expect(await shard.fanOut()).toEqual<FanOutState>({ generation: 1, cursor: "" });
    expect(await alarmOf(shard)).toBe(Date.now());

    // One batch per run: the cursor moves past it.
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await shard.fanOut()).toEqual({ generation: 1, cursor: ids[FAN_OUT_BATCH - 1] });
    const first = await readAtsOf(ids);
    expect(first.filter((at) => at === Date.now())).toHaveLength(FAN_OUT_BATCH);
    expect(first.slice(FAN_OUT_BATCH).every((at) => at === null)).toBe(true);

    // Then the rest: two more runs (50, then 20), and the shard is done, its alarm off.
    expect(await drain(shard)).toBe(2);
    expect(await shard.fanOut()).toEqual({ generation: 1, cursor: null });
    expect(await readAtsOf(ids)).toEqual(ids.map(() => Date.now()));
    expect(await alarmOf(shard)).toBeNull();

    // The same generation again (the cron's every minute): nothing to do.
    expect(await shard.announce(1)).toBe(false);
    expect(await alarmOf(shard)).toBeNull();
  });

  it("resumes where it stopped after the shard is evicted", async () => {
    const { shard, ids } = await shardWith(2 * FAN_OUT_BATCH + 20);
    const t1 = Date.now();
    await shard.announce(1);
    expect(await runDurableObjectAlarm(shard)).toBe(true);

    // The instance is torn down mid-way; its storage (the cursor, the alarm) stays.
    await evictDurableObject(shard);
    advanceTimeTo(t1 + MINUTE);
    expect(await shard.fanOut()).toEqual({ generation: 1, cursor: ids[FAN_OUT_BATCH - 1] });
    expect(await drain(shard)).toBe(2);

    // The first batch was not told again: only the rest read the schedule after the eviction.
    const readAts = await readAtsOf(ids);
    expect(readAts.slice(0, FAN_OUT_BATCH)).toEqual(ids.slice(0, FAN_OUT_BATCH).map(() => t1));
    expect(readAts.slice(FAN_OUT_BATCH)).toEqual(ids.slice(FAN_OUT_BATCH).map(() => t1 + MINUTE));
  });

  it("starts over for a newer generation, and ignores an older one", async () => {
    const { shard, ids } = await shardWith(2 * FAN_OUT_BATCH + 20);
    const t1 = Date.now();
    await shard.announce(4);
    await runDurableObjectAlarm(shard);
    advanceTimeTo(t1 + MINUTE);

    // A second publish before this one is done: from the first workspace again.
    expect(await shard.announce(5)).toBe(true);
    expect(await shard.fanOut()).toEqual({ generation: 5, cursor: "" });
    // A late announcement of an older generation changes nothing.
    expect(await shard.announce(4)).toBe(false);
    expect(await shard.fanOut()).toEqual({ generation: 5, cursor: "" });
    expect(await drain(shard)).toBe(3);
    expect(await readAtsOf(ids)).toEqual(ids.map(() => t1 + MINUTE));
  });

  it("a newer generation announced while a batch runs is not skipped past", async () => {
    const { shard, ids } = await shardWith(FAN_OUT_BATCH + 10);
    await shard.announce(1);
    // The third workspace's call lands while the newer announcement arrives: the batch's
    // workspaces before it were told the older schedule, so the cursor must not move past them.
    await swapWorkspaces(shard, async (id, real, instance) => {
      if (id === ids[2]) await instance.announce(2);
      return real();
    });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await shard.fanOut()).toEqual({ generation: 2, cursor: "" });
    expect(await alarmOf(shard)).not.toBeNull();
    await evictDurableObject(shard);
    expect(await drain(shard)).toBe(2);
    expect(await shard.fanOut()).toEqual({ generation: 2, cursor: null });
  });

  it("retries a failing workspace, skips it with a log line after the last attempt, and goes on", async () => {
    const { shard, ids } = await shardWith(10);
    const [flaky, broken] = [ids[3] as string, ids[6] as string];
    const calls = new Map<string, number>();
    await swapWorkspaces(shard, async (id, real) => {
      const n = (calls.get(id) ?? 0) + 1;
      calls.set(id, n);
      if (id === broken || (id === flaky && n === 1)) throw new Error(`${id} unavailable`);
      return real();
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await shard.announce(1);
    expect(await runDurableObjectAlarm(shard)).toBe(true);

    expect(await shard.fanOut()).toEqual({ generation: 1, cursor: null });
    expect([calls.get(flaky), calls.get(broken), calls.get(ids[0] as string)]).toEqual([
      2,
      FAN_OUT_ATTEMPTS,
      1,
    ]);
    const told = await readAtsOf(ids);
    expect(ids.filter((_, i) => told[i] === null)).toEqual([broken]);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledWith(
      expect.stringContaining(`workspace ${broken} skipped after ${FAN_OUT_ATTEMPTS} attempts`),
      expect.anything(),
    );
  });

  it("an unfinished fan-out whose alarm is gone is armed again by the next announcement", async () => {
    const { shard } = await shardWith(3);
    await shard.announce(1);
    // As if workerd had given up on the alarm after its retries.
    await runInDurableObject(shard, (_o, state) => state.storage.deleteAlarm());
    expect(await shard.announce(1)).toBe(false);
    expect(await alarmOf(shard)).toBe(Date.now());
    expect(await drain(shard)).toBe(1);
    expect(await shard.fanOut()).toEqual({ generation: 1, cursor: null });
  });
});
