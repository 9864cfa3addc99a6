import type { Instant } from "../policy/time";
import type { Migration, Store } from "../storage";
import type { WorkspaceContext } from "./context";
import type { WorkspaceEnv as Env } from "./env";

/** What housekeeping and deliveries work with: the storage and the deployment's bindings. */
export interface Site {
  store: Store;
  env: Env;
  /** The object's storage transaction (work after due work's transaction writes in its own). */
  transactionSync<T>(body: () => T): T;
}

/**
 * A capability of the workspace object: credits, entities, channels and agents, and the
 * history every call leaves (events, idempotency keys) with its webhook deliveries. The object
 * runs every domain's `settle` when its earliest `nextDeadline` has passed or a call may have
 * changed a limit; its alarm comes at the earliest deadline of all domains, `dueDeadline`s
 * included, and housekeeping prunes every domain's history. A leaf module: the domains
 * implement it, the registry (domains.ts) lists them and runs the loops.
 */
export interface Domain {
  migrations: readonly Migration[];
  /** Applies what is due at `ctx.now` and reconciles state with the current limits. Idempotent. */
  settle?(ctx: WorkspaceContext): void;
  /**
   * The earliest instant after which `settle` would change something (an answer may differ),
   * or null. Until then the object decides from memory.
   */
  nextDeadline?(ctx: WorkspaceContext): Instant | null;
  /**
   * Work due at an instant that changes no answer (a webhook delivery, an event leaving its
   * retention): the alarm comes for it, but the object still decides from memory.
   */
  dueDeadline?(site: Site): Instant | null;
  /** Runs after due work's transaction, outside it (deliveries): checks and spends go on. */
  afterDueWork?(site: Site, workspaceId: string, clock: () => Instant): Promise<unknown>;
  /**
   * Housekeeping: deletes a bounded batch of history past its retention; true when more is
   * left. Never on a check or spend: the alarm runs it (see pruneDeadline).
   */
  prune?(store: Store, now: Instant): boolean;
  /** When the oldest history this domain keeps passes its retention, or null. */
  pruneDeadline?(store: Store): Instant | null;
}
