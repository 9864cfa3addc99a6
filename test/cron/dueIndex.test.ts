import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DUE_SHARDS, shardName, shardOf } from "../../src/dueIndex";
import { freshWorkspace } from "../support/helpers";

/** A due index object of its own, so no other test's workspaces are in it. */
const isolatedShard = () => env.DUE_INDEX.getByName(`test-${freshWorkspace("shard")}`);

const T0 = Date.UTC(2026, 6, 1);

describe("due index sharding", () => {
  it.each([
    ["acme", 15],
    ["globex", 14],
    ["initech", 1],
    ["a", 12],
  ])("puts %s in shard %i, always (FNV-1a)", (ws, shard) => {
    expect(shardOf(ws)).toBe(shard);
    expect(shardName(shard)).toBe(`due-${shard}`);
  });

  it("spreads workspaces evenly over its 16 shards", () => {
    const counts = new Array<number>(DUE_SHARDS).fill(0);
    for (let i = 0; i < 1_600; i++) {
      const shard = shardOf(`ws-${i}`);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    expect(DUE_SHARDS).toBe(16);
    expect(Math.min(...counts)).toBe(98);
    expect(Math.max(...counts)).toBe(102);
  });
});

describe("due index shard", () => {
  it("keeps one deadline per workspace; null removes it", async () => {
    const shard = isolatedShard();
    await shard.report("w1", T0 + 10);
    await shard.report("w1", T0 + 5);
    expect(await shard.dueAt("w1")).toBe(T0 + 5);
    await shard.report("w1", null);
    expect(await shard.dueAt("w1")).toBeNull();
    await shard.report("w1", null);
    expect(await shard.dueAt("w1")).toBeNull();
  });

  it("hands out due workspaces earliest first, bounded, and leases them", async () => {
    const shard = isolatedShard();
    await shard.report("late", T0 + 30);
    await shard.report("early", T0 + 10);
    await shard.report("middle", T0 + 20);
    await shard.report("future", T0 + 1_000);

    expect(await shard.claim(T0 + 100, 2, 60_000)).toEqual(["early", "middle"]);
    // Leased: a concurrent sweep gets only what is left.
    expect(await shard.claim(T0 + 100, 10, 60_000)).toEqual(["late"]);
    expect(await shard.claim(T0 + 100, 10, 60_000)).toEqual([]);
    expect(await shard.dueAt("early")).toBe(T0 + 100 + 60_000);
    expect(await shard.dueAt("future")).toBe(T0 + 1_000);

    // A workspace that ran its due work replaces the lease with its real deadline...
    await shard.report("early", T0 + 500);
    await shard.report("middle", null);
    // ...and one that did not comes back when its lease ends.
    expect(await shard.claim(T0 + 100 + 60_000, 10, 60_000)).toEqual(["early", "future", "late"]);
    expect(await shard.dueAt("middle")).toBeNull();
  });
});
