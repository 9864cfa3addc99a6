import type { Instant } from "../policy/time";
import type { Migration, Store } from "../storage";
import type { WorkspaceContext } from "./context";

/**
 * A capability of the workspace object (credits, entities, channels, agents). The object runs
 * every domain's `settle` when its earliest `nextDeadline` has passed or a call may have
 * changed a limit, and arms its one alarm at the earliest deadline of all domains. A leaf
 * module: the domains implement it, the registry (domains.ts) lists them.
 */
export interface Domain {
  migrations: readonly Migration[];
  /** Applies what is due at `ctx.now` and reconciles state with the current limits. Idempotent. */
  settle(ctx: WorkspaceContext): void;
  /** The earliest instant after which `settle` would change something, or null. */
  nextDeadline(ctx: WorkspaceContext): Instant | null;
  /**
   * Housekeeping: deletes a bounded batch of history past its retention; true when more is
   * left. Never on a check or spend: the alarm runs it (see pruneDeadline).
   */
  prune?(store: Store, now: Instant): boolean;
  /** When the oldest history this domain keeps passes its retention, or null. */
  pruneDeadline?(store: Store): Instant | null;
}
