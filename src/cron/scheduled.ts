import { DUE_SHARDS, dueShard } from "../dueIndex";
import type { Env } from "../env";
import { type Instant, MINUTE_MS } from "../policy/time";
import { announceCatalogue } from "./catalogue";
import { writeDueExports } from "./exports";

/**
 * The cron sweep (every minute): the sweeper behind the workspace alarms. It asks each shard of
 * the due index for the workspaces due now and has each apply its due work. Applying is
 * idempotent (effects are keyed by what they settle, and deliveries run one at a time per
 * workspace), so overlapping, repeated or late sweeps change nothing more than once.
 */

/** Workspaces per shard per sweep: 16 × 50 calls stay under a Worker's subrequest limit. */
export const SWEEP_BATCH = 50;
/** How long a claimed workspace is hidden from other sweeps; a failed one comes back after it. */
export const SWEEP_LEASE_MS = 2 * MINUTE_MS;
/** Workspaces of one shard worked on at the same time. */
const CONCURRENCY_PER_SHARD = 4;

export interface SweepResult {
  /** Workspaces claimed as due. */
  due: number;
  /** Of those, whose due work ran. */
  ran: number;
  /** Of those, whose due work threw (they come back after the lease). */
  failed: number;
}

async function sweepShard(env: Env, shard: number, now: Instant): Promise<SweepResult> {
  let ids: string[];
  try {
    ids = await dueShard(env, shard).claim(now, SWEEP_BATCH, SWEEP_LEASE_MS);
  } catch (error) {
    // One unreachable shard must not stop the others; its workspaces wait for the next sweep.
    console.error(`due index shard ${shard} unavailable`, error);
    return { due: 0, ran: 0, failed: 0 };
  }
  const result: SweepResult = { due: ids.length, ran: 0, failed: 0 };
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        await env.WORKSPACE.getByName(id).runDueWork();
        result.ran++;
      } catch (error) {
        result.failed++;
        console.error(`due work failed for workspace ${id}`, error);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY_PER_SHARD }, worker));
  return result;
}

export async function sweepDueWork(env: Env, now: Instant = Date.now()): Promise<SweepResult> {
  const shards = await Promise.all(
    Array.from({ length: DUE_SHARDS }, (_, shard) => sweepShard(env, shard, now)),
  );
  const total = shards.reduce(
    (sum, r) => ({ due: sum.due + r.due, ran: sum.ran + r.ran, failed: sum.failed + r.failed }),
    { due: 0, ran: 0, failed: 0 },
  );
  if (total.due > 0) console.log("due work sweep", total);
  return total;
}

/** The Worker's `scheduled` handler. */
export async function scheduled(
  controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  // Real time, not the controller's scheduled time: a late run catches everything due until now.
  const now = Date.now();
  // The finance exports read the fleet index, never a workspace: beside the sweep, not in it.
  // The catalogue's generation, announced again: a shard that missed a publish's announcement
  // starts its fan-out within a minute (docs/catalogue.md, "The fan-out").
  await Promise.all([
    sweepDueWork(env, now),
    env.CATALOGUE_FAN_OUT === "off" ? undefined : announceCatalogue(env),
    // Where test clocks are on, a trigger's own time (`/cdn-cgi/local/scheduled?time=`) lets a
    // local run write a past day's files (docs/history.md#finance-exports).
    writeDueExports(env, env.TEST_CLOCKS === "on" ? controller.scheduledTime : now).catch((error) =>
      console.error("finance exports failed", error),
    ),
  ]);
}
