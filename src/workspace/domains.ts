import type { Instant } from "../policy/time";
import { agentsDomain } from "./agents";
import { channelsDomain } from "./channels";
import type { WorkspaceContext } from "./context";
import { creditsDomain } from "./credits";
import { entitiesDomain } from "./entities";
import type { Migration } from "./store";

/**
 * A capability of the workspace object (credits, entities, channels, agents). The object runs
 * every domain's `settle` at the start and end of each mutation, in its alarm and for the cron,
 * and arms its one alarm at the earliest `nextDeadline` of all domains.
 */
export interface Domain {
  migrations: readonly Migration[];
  /** Applies what is due at `ctx.now` and reconciles state with the current limits. Idempotent. */
  settle(ctx: WorkspaceContext): void;
  /** The earliest instant after which `settle` would change something, or null. */
  nextDeadline(ctx: WorkspaceContext): Instant | null;
}

export const DOMAINS: readonly Domain[] = [
  creditsDomain,
  entitiesDomain,
  channelsDomain,
  agentsDomain,
];
