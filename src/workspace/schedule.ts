import { BUILT_IN_CATALOGUE, type CatalogueVersion, PUBLISH_LEAD_MS } from "../policy/catalogue";
import type { Instant } from "../policy/time";
import type { Store } from "../storage";

/** The schedule as last read and when (real time), kept for a restarted object. */
const SCHEDULE_KEY = "catalogue_schedule";

/**
 * The published catalogue versions this object knows (docs/catalogue.md), oldest first, the
 * built-in one first, and until when that knowledge is complete. A version is published or
 * withdrawn at least PUBLISH_LEAD_MS before it applies, so a schedule read at real time t holds
 * every version applying before t + the lead (docs/rules.md, "Catalogue versions"): a decision
 * before then needs no read; after it, the object reads the schedule once (off the hot path: the
 * fan-out reads it ahead for every indexed workspace) and keeps it in storage for a restart.
 */
export class KnownSchedule {
  versions: readonly CatalogueVersion[] = [BUILT_IN_CATALOGUE];
  private knownUntil: Instant = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

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
    return now < this.knownUntil ? undefined : this.refresh();
  }

  /** Reads the schedule now (the fan-out, or a lapsed one); concurrent calls share one read. */
  refresh(): Promise<void> {
    // Real time, whatever the workspace's clock: the lead is the publisher's, in real time.
    const readAt = Date.now();
    this.refreshing ??= this.fetch()
      .then((versions) => {
        this.learn(versions, readAt);
        if (versions !== null) this.store.setMeta(SCHEDULE_KEY, { versions, readAt });
      })
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
    this.knownUntil = Math.max(this.knownUntil, readAt + PUBLISH_LEAD_MS);
  }
}
