import type { Store } from "../storage";

/**
 * The catalogue's durable fan-out, one due index shard's part of it (docs/catalogue.md,
 * "The fan-out"). A publish or a withdrawal announces the catalogue schedule's new generation to
 * every shard (src/cron/catalogue.ts, and the cron again every minute); each shard then tells its
 * own workspaces, from its own alarm, a batch per run, and keeps its cursor in its storage, so an
 * eviction or a crash resumes where it stopped instead of losing the rest. Tells every workspace
 * with a deadline, that is every subscribed one (its renewal is one).
 */

/** Workspaces told per alarm run: one page of the shard's index. */
export const FAN_OUT_BATCH = 50;
/** Workspaces of one shard told at the same time (the sweep's 4, src/cron/scheduled.ts). */
export const FAN_OUT_CONCURRENCY = 4;
/**
 * Calls made to one workspace in a run before it is skipped with a log line: a transient failure
 * (an object being reset, overloaded) is retried at once; a workspace still not told learns the
 * schedule on its next decision, or at the instant of a version it knows (docs/rules.md,
 * "Catalogue versions"), so a skipped one changes no decision.
 */
export const FAN_OUT_ATTEMPTS = 3;

/**
 * What the fan-out asks of the workspace objects' namespace (the WORKSPACE binding):
 * structurally, so the index imports none of the workspace's code; the Worker's binding of the
 * object's class is one.
 */
export interface CatalogueLearners {
  getByName(name: string): {
    /** Reads the catalogue schedule now and re-arms its alarm for its next switch. */
    learnCatalogue(): Promise<unknown>;
  };
}

/** The shard's fan-out: the latest generation it heard of and where it is in telling it. */
export interface FanOutState {
  /** The catalogue schedule's generation being (or last) told; 0 before any announcement. */
  generation: number;
  /** The last workspace id told (`""`: none yet); null once every workspace was told. */
  cursor: string | null;
}

/** The one row of the fan-out's state (a table of one row, like `meta` in the workspace). */
export const FAN_OUT_MIGRATION = {
  name: "due_v2_fan_out",
  statements: [
    `CREATE TABLE fan_out (
       one INTEGER PRIMARY KEY CHECK (one = 1),
       generation INTEGER NOT NULL,
       cursor TEXT
     )`,
    "INSERT INTO fan_out (one, generation, cursor) VALUES (1, 0, NULL)",
  ],
};

export const fanOutState = (store: Store): FanOutState =>
  store.one<FanOutState>("SELECT generation, cursor FROM fan_out WHERE one = 1") ?? {
    generation: 0,
    cursor: null,
  };

/**
 * Takes `generation` if it is newer than the one held: the fan-out starts again from the first
 * workspace (one told under an older generation reads the schedule again). Answers whether it
 * was taken; an older or equal one changes nothing.
 */
export function takeGeneration(store: Store, generation: number): boolean {
  return (
    store.run(
      "UPDATE fan_out SET generation = ?, cursor = '' WHERE one = 1 AND generation < ?",
      generation,
      generation,
    ) > 0
  );
}

/**
 * Records a finished batch: the cursor moves past it (null when it was the last), but only if
 * the generation it was told for is still the one held; a newer announcement that landed while
 * the batch ran has already started the fan-out over. Answers whether more remains.
 */
export function advance(store: Store, batch: FanOutState, ids: string[]): boolean {
  const last = ids.length < FAN_OUT_BATCH ? null : (ids[ids.length - 1] as string);
  store.run(
    "UPDATE fan_out SET cursor = ? WHERE one = 1 AND generation = ?",
    last,
    batch.generation,
  );
  return fanOutState(store).cursor !== null;
}

/**
 * Tells each workspace of a batch, FAN_OUT_CONCURRENCY at a time, each up to FAN_OUT_ATTEMPTS
 * times; never rejects. Answers how many were told and how many skipped.
 */
export async function tellEach(
  ids: readonly string[],
  tell: (workspaceId: string) => Promise<unknown>,
): Promise<{ told: number; skipped: number }> {
  const result = { told: 0, skipped: 0 };
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (let attempt = 1; ; attempt++) {
        try {
          await tell(id);
          result.told++;
          break;
        } catch (error) {
          if (attempt < FAN_OUT_ATTEMPTS) continue;
          result.skipped++;
          console.error(
            `catalogue fan-out: workspace ${id} skipped after ${FAN_OUT_ATTEMPTS} attempts (it reads the schedule on its next decision)`,
            error,
          );
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: FAN_OUT_CONCURRENCY }, worker));
  return result;
}
