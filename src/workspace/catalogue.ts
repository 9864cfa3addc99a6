import {
  BUILT_IN_CATALOGUE,
  type CatalogueVersion,
  type EffectiveLimits,
  type Subscription,
} from "../policy/catalogue";
import type { WorkspaceContext } from "./context";
import type { WorkspaceEnv as Env } from "./env";
import { recordEvents } from "./events";
import { limitsView, markApplied } from "./subscription";

/**
 * The workspace's side of the catalogue (docs/catalogue.md): the published schedule read from
 * the catalogue's table beside the fleet index (D1), and a version switch applied in storage.
 * Memory (memory.ts) keeps the schedule and decides when to read it again, never on a call
 * whose schedule is known.
 */

/** At most this many published versions: years of monthly changes. */
export const SCHEDULE_LIMIT = 500;

const SCHEDULE_SQL = `SELECT body FROM catalogue_versions
  WHERE effective_at IS NOT NULL AND withdrawn_at IS NULL
  ORDER BY effective_at, id LIMIT ${SCHEDULE_LIMIT}`;

/** The built-in version, then every published one by effectiveAt; null: no catalogue bound. */
export async function fetchSchedule(env: Env): Promise<CatalogueVersion[] | null> {
  if (env.FLEET === undefined) return null;
  const { results } = await env.FLEET.prepare(SCHEDULE_SQL).all<{ body: string }>();
  return [BUILT_IN_CATALOGUE, ...results.map((r) => JSON.parse(r.body) as CatalogueVersion)];
}

const sameLimits = (a: EffectiveLimits, b: EffectiveLimits): boolean =>
  JSON.stringify({ ...a, catalogueVersion: "" }) === JSON.stringify({ ...b, catalogueVersion: "" });

/**
 * The switch to `ctx.catalogue` at `ctx.now` (its effectiveAt, or now for a pin): marks it
 * applied, and records `limits.changed` with the old and new limits when they differ.
 */
export function applyVersion(ctx: WorkspaceContext, before: EffectiveLimits): Subscription {
  const sub = markApplied(ctx.store, ctx.subscription, ctx.catalogue.id);
  if (!sameLimits(before, ctx.limits)) {
    recordEvents(
      ctx.store,
      [
        {
          type: "limits.changed",
          at: ctx.now,
          data: {
            catalogueVersion: ctx.catalogue.id,
            previousVersion: before.catalogueVersion,
            effectiveAt: new Date(ctx.now).toISOString(),
            before: { ...limitsView(before), features: before.features },
            after: { ...limitsView(ctx.limits), features: ctx.limits.features },
          },
        },
      ],
      ctx.now,
    );
  }
  return sub;
}
