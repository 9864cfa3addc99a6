import { applyVersion, fetchSchedule } from "./catalogue";
import * as credit from "./credits";
import * as domains from "./domains";
import type { WorkspaceEnv as Env } from "./env";
import type { MemorySource } from "./memory";
import * as subscription from "./subscription";

/** What memory loads and settles through (memory.ts imports no domain): the object's wiring. */
export const memorySource = (ctx: DurableObjectState, env: Env): MemorySource => ({
  loadSubscription: subscription.loadSubscription,
  loadCounters: credit.loadCreditCounters,
  settle: domains.settleDomains,
  deadline: domains.domainsDeadline,
  prune: domains.pruneDomains,
  transactionSync: (body) => ctx.storage.transactionSync(body),
  fetchSchedule: () => fetchSchedule(env),
  applyVersion,
});
