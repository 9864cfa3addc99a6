import {
  BUILT_IN_CATALOGUE,
  type CatalogueVersion,
  type EffectiveLimits,
  effectiveLimits,
  PUBLISH_LEAD_MS,
  type Subscription,
  versionFor,
} from "../policy/catalogue";
import type { Instant } from "../policy/time";
import type { Store } from "../storage";
import { withTimeout } from "../timeout";
import type { WorkspaceContext } from "./context";

/** The schedule as last read and when (real time), kept for a restarted object. */
const SCHEDULE_KEY = "catalogue_schedule";

/** A read of the schedule that takes longer than this counts as failed: the call decides. */
export const SCHEDULE_READ_TIMEOUT_MS = 2_000;
/** After a failed read, calls decide from the kept schedule this long before one reads again. */
export const SCHEDULE_RETRY_MS = 30_000;

/**
 * The published catalogue versions this object knows (docs/catalogue.md), oldest first, the
 * built-in one first, and until when that knowledge is complete (docs/rules.md, "Catalogue
 * versions"):
 *
 * - a version is published at least PUBLISH_LEAD_MS before it applies, so a schedule read at
 *   real time t holds every version applying before t + the lead;
 * - a scheduled version may be withdrawn until the instant it applies, so a version the read
 *   found still ahead is trusted only until its instant: the first decision at or after it
 *   reads the schedule again (one read per workspace and switch), and applies the version only
 *   if it is still there. A withdrawal is therefore safe up to the instant.
 *
 * Before then a decision needs no read (off the hot path: the fan-out reads ahead for every
 * indexed workspace). The schedule is kept in storage, for a restart and for when the catalogue's
 * D1 cannot be read: then the object decides from what it kept (`refresh`).
 */
export class KnownSchedule {
  versions: readonly CatalogueVersion[] = [BUILT_IN_CATALOGUE];
  private knownUntil: Instant = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  /** After a failed read (real time): decide from the kept schedule, read again from then. */
  private retryAt: Instant | undefined;

  constructor(
    private readonly store: Store,
    private readonly fetch: () => Promise<CatalogueVersion[] | null>,
    /** Called when the versions changed: memory drops what it derived from them. */
    private readonly changed: () => void,
  ) {}

  /** Undefined when the known schedule holds at `now`; else the read to await first. */
  fresh(now: Instant): Promise<void> | undefined {
    if (this.knownUntil === Number.NEGATIVE_INFINITY) {
      // A started object resumes the schedule its storage holds: one read, no hop.
      const kept = this.store.getMeta<{ versions: CatalogueVersion[]; readAt: Instant }>(
        SCHEDULE_KEY,
      );
      if (kept !== undefined) this.learn(kept.versions, kept.readAt);
      else this.knownUntil = Number.MIN_SAFE_INTEGER;
    }
    if (now < this.knownUntil) return undefined;
    // The catalogue could not be read a moment ago: decide from the schedule kept, without
    // waiting on the store again for every call of an outage.
    if (this.retryAt !== undefined && Date.now() < this.retryAt) return undefined;
    return this.refresh();
  }

  /**
   * Reads the schedule now (the fan-out, or a lapsed one); concurrent calls share one read.
   * Never rejects: when the catalogue's D1 cannot be read (an error, or no answer within
   * SCHEDULE_READ_TIMEOUT_MS), the object keeps deciding from the schedule it last learned, and
   * reads again SCHEDULE_RETRY_MS later (docs/catalogue.md, "When D1 is down").
   */
  refresh(): Promise<void> {
    // Real time, whatever the workspace's clock: the lead is the publisher's, in real time.
    const readAt = Date.now();
    this.refreshing ??= withTimeout(this.fetch(), SCHEDULE_READ_TIMEOUT_MS)
      .then(
        (versions) => {
          this.retryAt = undefined;
          this.learn(versions, readAt);
          if (versions !== null) this.store.setMeta(SCHEDULE_KEY, { versions, readAt });
        },
        (error: unknown) => {
          this.retryAt = readAt + SCHEDULE_RETRY_MS;
          console.error(
            "catalogue schedule unreadable: deciding from the schedule this workspace kept",
            error,
          );
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private learn(versions: CatalogueVersion[] | null, readAt: Instant): void {
    if (versions === null) {
      // No catalogue store bound: the built-in version, always.
      this.knownUntil = Number.POSITIVE_INFINITY;
      return;
    }
    if (JSON.stringify(versions) !== JSON.stringify(this.versions)) {
      this.versions = versions;
      this.changed();
    }
    this.knownUntil = Math.max(this.knownUntil, knownUntilOf(versions, readAt));
  }
}

/**
 * Until when a schedule read at real time `readAt` holds: nothing new can apply before the
 * publish lead has passed, and a version still ahead at the read may be withdrawn until its
 * instant, so the knowledge ends at the earlier of the two (docs/rules.md, "Catalogue versions").
 */
export function knownUntilOf(versions: readonly CatalogueVersion[], readAt: Instant): Instant {
  let until = readAt + PUBLISH_LEAD_MS;
  for (const v of versions) {
    const at = Date.parse(v.effectiveAt);
    if (at > readAt && at < until) until = at;
  }
  return until;
}

/** What a switch runs through: memory's source (memory.ts), seen from here. */
export interface Switcher {
  settle(ctx: WorkspaceContext): Instant | null;
  applyVersion(ctx: WorkspaceContext, before: EffectiveLimits): Subscription;
}

/**
 * Applies every version switch due by `now` that this workspace has not applied yet, each at
 * its own effectiveAt: due work before it under the old terms, then the switch (its event),
 * then the reconcile under the new terms, so a grace the change opens starts at effectiveAt
 * however late the workspace is touched (docs/rules.md, "Catalogue versions").
 */
export function switchVersions(
  store: Store,
  source: Switcher,
  schedule: readonly CatalogueVersion[],
  stored: Subscription,
  now: Instant,
): Subscription {
  let sub = stored;
  const applied = sub.catalogueApplied ?? BUILT_IN_CATALOGUE.id;
  const target = versionFor(schedule, sub, now);
  if (target.id === applied) return sub;
  let current = schedule.find((v) => v.id === applied) ?? BUILT_IN_CATALOGUE;
  const steps =
    sub.catalogueVersion !== undefined
      ? [target]
      : schedule.filter((v) => {
          const at = Date.parse(v.effectiveAt);
          return at > Date.parse(current.effectiveAt) && at <= now;
        });
  for (const next of steps) {
    const at = Math.min(Math.max(Date.parse(next.effectiveAt), 0), now);
    const before = effectiveLimits(sub, current);
    const old = { store: store, subscription: sub, limits: before, catalogue: current };
    if (sub.catalogueVersion === undefined) source.settle({ ...old, now: at - 1 });
    const limits = effectiveLimits(sub, next);
    sub = source.applyVersion({ ...old, limits, catalogue: next, now: at }, before);
    source.settle({ ...old, subscription: sub, limits, catalogue: next, now: at });
    current = next;
  }
  return sub;
}

/** How long after a switch a quiet workspace may wake to apply it (docs/catalogue.md). */
export const SWITCH_SPREAD_MS = 10 * 60 * 1000;

/** `at` plus a fixed share of the spread for this workspace (null: no switch ahead). */
export function spreadAfter(at: Instant, workspaceId: string): Instant | null {
  if (at === Number.POSITIVE_INFINITY) return null;
  let hash = 0;
  for (let i = 0; i < workspaceId.length; i++) hash = (hash * 31 + workspaceId.charCodeAt(i)) >>> 0;
  return at + (hash % (SWITCH_SPREAD_MS / 1000)) * 1000;
}
