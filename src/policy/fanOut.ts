/**
 * How far the catalogue's fan-out has come (docs/catalogue.md, "The fan-out"): each due index
 * shard holds the schedule generation it was last announced and a cursor through its own
 * workspaces, null once it told every one. Pure: the cron reads the shards, this says what
 * their states mean against the generation in force in D1.
 */

/** One shard as it answered; null: it did not answer. */
export interface ShardFanOut {
  generation: number;
  /** The last workspace id told (`""`: none yet); null once every workspace was told. */
  cursor: string | null;
}

export const SHARD_FAN_OUT_STATES = ["done", "telling", "behind", "unreachable"] as const;
export type ShardFanOutState = (typeof SHARD_FAN_OUT_STATES)[number];

export interface FanOutProgress {
  /** The schedule's generation (one per publish and per withdrawal, ever). */
  generation: number;
  /** Every shard told every one of its workspaces of this generation. */
  done: boolean;
  /** Shards by state: told all, still telling, not yet announced this generation, no answer. */
  shards: Record<ShardFanOutState, number>;
  /** Each shard, by number. */
  byShard: {
    shard: number;
    state: ShardFanOutState;
    /** The generation it holds (null: it did not answer). */
    generation: number | null;
    /** The last workspace id it told of it (null: none yet, or all: see `state`). */
    toldThrough: string | null;
  }[];
}

/** A shard's state against the generation in force. */
export function shardStateOf(generation: number, shard: ShardFanOut | null): ShardFanOutState {
  if (shard === null) return "unreachable";
  // A shard that heard of a newer generation than this read (a publish in between) is ahead,
  // which counts as having this one: it tells its workspaces the newer schedule.
  if (shard.generation < generation) return "behind";
  return shard.cursor === null ? "done" : "telling";
}

export function fanOutProgressOf(
  generation: number,
  shards: readonly (ShardFanOut | null)[],
): FanOutProgress {
  const counts: Record<ShardFanOutState, number> = {
    done: 0,
    telling: 0,
    behind: 0,
    unreachable: 0,
  };
  const byShard = shards.map((s, shard) => {
    const state = shardStateOf(generation, s);
    counts[state]++;
    return {
      shard,
      state,
      generation: s?.generation ?? null,
      toldThrough: s === null || s.cursor === null || s.cursor === "" ? null : s.cursor,
    };
  });
  return { generation, done: counts.done === shards.length, shards: counts, byShard };
}
