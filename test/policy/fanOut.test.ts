import { describe, expect, it } from "vitest";
import { fanOutProgressOf, shardStateOf } from "../../src/policy/fanOut";

/** What each shard's state means against the generation in force (docs/catalogue.md). */
describe("the fan-out's progress", () => {
  it.each([
    ["no answer", 3, null, "unreachable"],
    [
      "an older generation: the announcement not taken yet",
      3,
      { generation: 2, cursor: null },
      "behind",
    ],
    ["taken, no workspace told yet", 3, { generation: 3, cursor: "" }, "telling"],
    ["telling, past a workspace", 3, { generation: 3, cursor: "ws-42" }, "telling"],
    ["told every workspace", 3, { generation: 3, cursor: null }, "done"],
    [
      "a newer generation (a publish since the read) counts as this one",
      3,
      { generation: 4, cursor: null },
      "done",
    ],
  ] as const)("%s", (_, generation, shard, state) => {
    expect(shardStateOf(generation, shard)).toBe(state);
  });

  it("counts the shards by state, and is done only when every shard is", () => {
    const progress = fanOutProgressOf(5, [
      { generation: 5, cursor: null },
      { generation: 5, cursor: "ws-7" },
      { generation: 4, cursor: null },
      null,
    ]);
    expect(progress).toEqual({
      generation: 5,
      done: false,
      shards: { done: 1, telling: 1, behind: 1, unreachable: 1 },
      byShard: [
        { shard: 0, state: "done", generation: 5, toldThrough: null },
        { shard: 1, state: "telling", generation: 5, toldThrough: "ws-7" },
        { shard: 2, state: "behind", generation: 4, toldThrough: null },
        { shard: 3, state: "unreachable", generation: null, toldThrough: null },
      ],
    });
    const all = fanOutProgressOf(5, [
      { generation: 5, cursor: null },
      { generation: 6, cursor: null },
    ]);
    expect(all.done).toBe(true);
  });
});
