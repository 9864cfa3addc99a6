import { DurableObject } from "cloudflare:workers";
import type { Instant } from "../policy/time";
import { type Migration, migrate, Store } from "../storage";
import {
  advance,
  type CatalogueLearners,
  FAN_OUT_BATCH,
  FAN_OUT_MIGRATION,
  type FanOutState,
  fanOutState,
  takeGeneration,
  tellEach,
} from "./fanOut";

export type { CatalogueLearners, FanOutState } from "./fanOut";

/**
 * The due index, a peer of the workspace: the object reports to it and the cron reads it, and it
 * imports neither. Which workspaces have due work, and from when. Workspace objects report their
 * next deadline here; the cron asks for the ones due. It is sharded over a fixed number of small
 * SQLite Durable Objects by a stable hash of the workspace id, so no single object sees every
 * report, and it needs no setup beyond `wrangler deploy` (a D1 table would need a database
 * created and its id in wrangler.toml).
 */

/**
 * The bindings the index is reached by and reaches: what the workspace object (which reports)
 * and the cron (which claims) need of the Worker's bindings, and the workspaces the catalogue's
 * fan-out tells (src/env.ts extends it, with the object's own class).
 */
export interface DueIndexEnv {
  /** The sharded index of workspaces with due work, read by the cron (src/cron/scheduled.ts). */
  DUE_INDEX: DurableObjectNamespace<DueIndex>;
  /** The workspace objects, as far as the fan-out calls them (fanOut.ts). */
  WORKSPACE: CatalogueLearners;
}

/** Fixed for the life of a deployment: changing it would strand entries in shards no one reads. */
export const DUE_SHARDS = 16;

/** FNV-1a (32 bit): stable across deployments and runtimes, unlike any built-in hash. */
export function shardOf(workspaceId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < workspaceId.length; i++) {
    hash ^= workspaceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % DUE_SHARDS;
}

export const shardName = (shard: number) => `due-${shard}`;

export const dueShard = (env: DueIndexEnv, shard: number) =>
  env.DUE_INDEX.getByName(shardName(shard));

export const dueShardFor = (env: DueIndexEnv, workspaceId: string) =>
  dueShard(env, shardOf(workspaceId));

const migrations: Migration[] = [
  {
    name: "due_v1",
    statements: [
      "CREATE TABLE due (workspace_id TEXT PRIMARY KEY, due_at INTEGER NOT NULL) WITHOUT ROWID",
      "CREATE INDEX due_at ON due (due_at)",
    ],
  },
  FAN_OUT_MIGRATION,
];

export class DueIndex extends DurableObject<DueIndexEnv> {
  private readonly store: Store;

  constructor(ctx: DurableObjectState, env: DueIndexEnv) {
    super(ctx, env);
    this.store = new Store(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => migrate(this.store, migrations));
  }

  /** A workspace's next deadline, or null when it has none (it leaves the index). */
  report(workspaceId: string, dueAt: Instant | null): void {
    if (dueAt === null) {
      this.store.run("DELETE FROM due WHERE workspace_id = ?", workspaceId);
    } else {
      this.store.run(
        `INSERT INTO due (workspace_id, due_at) VALUES (?, ?)
         ON CONFLICT(workspace_id) DO UPDATE SET due_at = excluded.due_at`,
        workspaceId,
        dueAt,
      );
    }
  }

  /**
   * Hands out up to `limit` workspaces due at `now`, earliest first, and leases them: their entry
   * moves to `now + leaseMs`, so a concurrent sweep does not take them too, and one whose due work
   * fails comes back after the lease instead of blocking the head of the index. A workspace that
   * runs its due work reports its real next deadline, replacing the lease.
   */
  claim(now: Instant, limit: number, leaseMs: number): string[] {
    return this.ctx.storage.transactionSync(() => {
      const ids = this.store
        .all<{ workspace_id: string }>(
          "SELECT workspace_id FROM due WHERE due_at <= ? ORDER BY due_at LIMIT ?",
          now,
          limit,
        )
        .map((row) => row.workspace_id);
      for (const id of ids) {
        this.store.run("UPDATE due SET due_at = ? WHERE workspace_id = ?", now + leaseMs, id);
      }
      return ids;
    });
  }

  /** Up to `limit` workspaces of this shard after `after`, in id order (its primary key). */
  workspacesAfter(after: string, limit: number): string[] {
    return this.store
      .all<{ workspace_id: string }>(
        "SELECT workspace_id FROM due WHERE workspace_id > ? ORDER BY workspace_id LIMIT ?",
        after,
        limit,
      )
      .map((row) => row.workspace_id);
  }

  /**
   * The catalogue schedule's generation (src/cron/catalogue.ts): a newer one than this shard
   * holds starts its fan-out over, from its first workspace, on its alarm; an older or equal one
   * changes nothing, but an unfinished fan-out whose alarm is gone (workerd gives up on an alarm
   * after its retries) is armed again, so the cron's announcement every minute revives it.
   * Answers whether the generation was new.
   */
  async announce(generation: number): Promise<boolean> {
    const taken = takeGeneration(this.store, generation);
    if (
      taken ||
      (fanOutState(this.store).cursor !== null && (await this.ctx.storage.getAlarm()) === null)
    ) {
      await this.ctx.storage.setAlarm(Date.now());
    }
    return taken;
  }

  /** The fan-out's state (for operators and tests). */
  fanOut(): FanOutState {
    return fanOutState(this.store);
  }

  /**
   * One batch of the fan-out: tells the next FAN_OUT_BATCH workspaces after the cursor, then
   * moves the cursor past them and re-arms, in one write, until the shard is done. A crash
   * before that write tells the batch again on the alarm's retry (learning twice is harmless).
   */
  override async alarm(): Promise<void> {
    const batch = fanOutState(this.store);
    if (batch.cursor === null) return;
    const ids = this.workspacesAfter(batch.cursor, FAN_OUT_BATCH);
    await tellEach(ids, (id) => this.env.WORKSPACE.getByName(id).learnCatalogue());
    if (advance(this.store, batch, ids)) await this.ctx.storage.setAlarm(Date.now());
  }

  /** One workspace's entry (for operators and tests): its indexed deadline, or null. */
  dueAt(workspaceId: string): Instant | null {
    return (
      this.store.one<{ due_at: number }>(
        "SELECT due_at FROM due WHERE workspace_id = ?",
        workspaceId,
      )?.due_at ?? null
    );
  }
}
