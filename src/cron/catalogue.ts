import { DUE_SHARDS, dueShard } from "../dueIndex";
import type { Env } from "../env";
import { type FanOutProgress, fanOutProgressOf } from "../policy/fanOut";
import { withTimeout } from "../timeout";

/**
 * The catalogue's fan-out, announced (docs/catalogue.md, "The fan-out"): after a version is
 * published or withdrawn, and again by the cron every minute, every due index shard is told the
 * catalogue schedule's generation; a shard that did not hold it yet works through its own
 * workspaces from its alarm (src/dueIndex/fanOut.ts), each reading the schedule again and arming
 * its alarm for the switch. The announcement is 16 small writes, no workspace call, so the
 * publish awaits it; one lost (a shard unreachable, the request cut) is made again by the cron
 * within a minute, the generation telling a shard whether it has work.
 */

/**
 * The schedule's generation: it grows by one with every publish (`effective_at` set) and every
 * withdrawal (`withdrawn_at` set), since a published row is never deleted nor unpublished
 * (migrations/fleet/0002_catalogue.sql); drafts do not count. Read from D1 after the change, so
 * a shard that takes it tells workspaces a schedule at least that new.
 */
const GENERATION_SQL =
  "SELECT COUNT(effective_at) + COUNT(withdrawn_at) AS generation FROM catalogue_versions";

/** The schedule's generation now (throws when D1 does not answer). */
async function scheduleGeneration(db: D1Database): Promise<number> {
  const row = await db.prepare(GENERATION_SQL).first<{ generation: number }>();
  return row?.generation ?? 0;
}

/** A shard that takes longer to take the announcement is left to the cron's next one. */
export const ANNOUNCE_TIMEOUT_MS = 5_000;

/**
 * Announces the schedule's current generation to every shard; never rejects (a failure is a
 * log line, and the cron's next announcement). Answers how many shards took it as new.
 */
export async function announceCatalogue(env: Env): Promise<number> {
  if (env.FLEET === undefined) return 0;
  let generation: number;
  try {
    generation = await scheduleGeneration(env.FLEET);
  } catch (error) {
    console.error("catalogue fan-out: the schedule's generation is unreadable", error);
    return 0;
  }
  const shards = await Promise.allSettled(
    Array.from({ length: DUE_SHARDS }, (_, shard) =>
      withTimeout(dueShard(env, shard).announce(generation), ANNOUNCE_TIMEOUT_MS),
    ),
  );
  let started = 0;
  shards.forEach((result, shard) => {
    if (result.status === "fulfilled") {
      if (result.value) started++;
    } else {
      console.error(
        `catalogue fan-out: due index shard ${shard} did not take generation ${generation} (the cron announces it again within a minute)`,
        result.reason,
      );
    }
  });
  return started;
}

/**
 * How far the fan-out of the schedule's current generation has come, shard by shard
 * (`GET /v1/catalogue/fan-out`): 16 small reads, one per shard, each bounded by
 * ANNOUNCE_TIMEOUT_MS (a shard that does not answer is `unreachable`, not an error). Throws
 * when D1 does not answer: without the generation there is nothing to compare against.
 */
export async function fanOutProgress(env: Env): Promise<FanOutProgress> {
  const generation = env.FLEET === undefined ? 0 : await scheduleGeneration(env.FLEET);
  const shards = await Promise.allSettled(
    Array.from({ length: DUE_SHARDS }, (_, shard) =>
      withTimeout(dueShard(env, shard).fanOut(), ANNOUNCE_TIMEOUT_MS),
    ),
  );
  return fanOutProgressOf(
    generation,
    shards.map((r) => (r.status === "fulfilled" ? r.value : null)),
  );
}
