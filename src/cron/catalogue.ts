import { DUE_SHARDS, dueShard } from "../dueIndex";
import type { Env } from "../env";

/**
 * The catalogue's fan-out (docs/catalogue.md): after a version is published or withdrawn, every
 * workspace of the due index (every subscribed workspace: its renewal is a deadline) reads the
 * schedule again and arms its alarm for the switch, shard by shard, in pages of FAN_OUT_BATCH
 * told at once, never the whole fleet at the same moment. Best effort: a workspace it misses
 * reads the schedule on its next decision once its known schedule lapses, or at the instant of
 * a version it learned (src/workspace/schedule.ts), so a lost fan-out changes no decision.
 */

/** Workspaces told at once: one page of a shard. */
export const FAN_OUT_BATCH = 50;

/** Tells every workspace of the due index; answers how many were told (failures included). */
export async function fanOutCatalogue(env: Env): Promise<number> {
  let told = 0;
  for (let shard = 0; shard < DUE_SHARDS; shard++) {
    let after = "";
    for (;;) {
      let ids: string[];
      try {
        ids = await dueShard(env, shard).workspacesAfter(after, FAN_OUT_BATCH);
      } catch (error) {
        // One unreachable shard must not stop the others: its workspaces learn on their own.
        console.error(`catalogue fan-out: due index shard ${shard} unavailable`, error);
        break;
      }
      if (ids.length === 0) break;
      await Promise.allSettled(ids.map((id) => env.WORKSPACE.getByName(id).learnCatalogue()));
      told += ids.length;
      after = ids[ids.length - 1] as string;
      if (ids.length < FAN_OUT_BATCH) break;
    }
  }
  return told;
}
