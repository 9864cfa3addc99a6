import { earliest, type Instant } from "../policy/time";
import { Store } from "../storage";
import type { Alarm } from "./alarm";
import type { Site } from "./domain";
import { dueDeadline } from "./domains";
import type { WorkspaceEnv as Env } from "./env";
import type { Memory } from "./memory";

/** Where a frozen test clock is kept (meta), read on every call by the object. */
export const TEST_CLOCK_KEY = "testClock";

/**
 * The paired check. Where test clocks are on (the tests, `npm start`), the object compares its
 * memory with storage after every mutation, and any difference throws: a write path that
 * forgets memory fails its test instead of drifting in production, where this never runs
 * (TEST_CLOCKS off: no audit store exists).
 *
 * It reads through `exec` as it was when the object started: its reads are the tests'
 * instrument, not the service's cost, so an SQL counter wrapped around `sql.exec` later
 * (test/workspace/statements.test.ts) measures the service alone. Only `exec` is ever used.
 */
export function auditStore(sql: SqlStorage, env: Env): Store | undefined {
  if (env.TEST_CLOCKS !== "on") return undefined;
  return new Store({ exec: sql.exec.bind(sql) } as Pick<SqlStorage, "exec"> as SqlStorage);
}

/** Throws when memory (or the alarm's deadline) differs from what storage answers now. */
export function pairedCheck(audit: Store, memory: Memory, alarm: Alarm, site: Site): void {
  // The clock too is read through `audit`, so the check adds nothing to a counted call.
  const now = audit.getMeta<Instant>(TEST_CLOCK_KEY) ?? Date.now();
  const domains = memory.verify(audit, now);
  alarm.verify(earliest(domains, dueDeadline({ ...site, store: audit })), audit);
}
