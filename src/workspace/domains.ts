import { earliest, type Instant } from "../policy/time";
import type { Migration, Store } from "../storage";
import { agentsDomain } from "./agents";
import { archiveDomain } from "./archive";
import { channelsDomain } from "./channels";
import type { WorkspaceContext } from "./context";
import { budgetsDomain, creditsDomain } from "./credits";
import { cursorMigrations } from "./cursors";
import { deliveryDomain } from "./delivery";
import type { Domain, Site } from "./domain";
import { entitiesDomain } from "./entities";
import { eventsDomain } from "./events";
import { idempotencyDomain } from "./idempotency";
import { liveDomain } from "./live";

export { RollupWork } from "./archive/rollupWork";
export type { Domain, Site } from "./domain";

/**
 * Every domain of the workspace object, in the order they migrate and settle. A test may push
 * a domain of its own (test/cron/probe.ts): the loops below read the list at each call.
 */
export const DOMAINS: readonly Domain[] = [
  eventsDomain,
  idempotencyDomain,
  deliveryDomain,
  creditsDomain,
  entitiesDomain,
  channelsDomain,
  agentsDomain,
  archiveDomain,
  liveDomain,
  budgetsDomain,
];

/** Every migration in order: the meta table and the cursor key, then each domain's tables. */
export const migrations = (): Migration[] => [
  {
    name: "meta_v1",
    statements: ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
  },
  ...cursorMigrations,
  ...DOMAINS.flatMap((domain) => domain.migrations),
];

/** Applies every domain's due work at ctx.now; answers the earliest deadline after it. */
export function settleDomains(ctx: WorkspaceContext): Instant | null {
  for (const domain of DOMAINS) domain.settle?.(ctx);
  return domainsDeadline(ctx);
}

/** When a settle would next change an answer (null: never). */
export const domainsDeadline = (ctx: WorkspaceContext): Instant | null =>
  earliest(...DOMAINS.map((domain) => domain.nextDeadline?.(ctx)));

/** When work that changes no answer is next due: deliveries, retention (null: none). */
export const dueDeadline = (site: Site): Instant | null =>
  earliest(...DOMAINS.map((domain) => domain.dueDeadline?.(site)));

/** When the oldest kept history passes its retention (null: none). */
export const pruneDeadline = (store: Store): Instant | null =>
  earliest(...DOMAINS.map((domain) => domain.pruneDeadline?.(store)));

/** One bounded batch of housekeeping per domain; true when any has more left. */
export function pruneDomains(store: Store, now: Instant): boolean {
  let more = false;
  for (const domain of DOMAINS) more = (domain.prune?.(store, now) ?? false) || more;
  return more;
}

/** What runs after due work's transaction, domain after domain (deliveries). */
export async function afterDueWork(site: Site, workspaceId: string, clock: () => Instant) {
  for (const domain of DOMAINS) await domain.afterDueWork?.(site, workspaceId, clock);
}
