import type { PolicyEvent } from "./events";
import { DAY_MS, type Instant, iso } from "./time";

/** The limits that run a grace episode (PRODUCT.md §4, §5); `data.limit` of their events. */
export type EpisodeLimit = "leads" | "contactsAndCompanies" | "whatsapp" | "instagram";

export const GRACE_MS = DAY_MS;

/**
 * One limit's episode: `ok` until the limit is breached, then a 24-hour `grace` during which
 * nothing is enforced, then `enforced` until the breach ends. Ending in either phase resolves
 * it; the next breach starts a fresh grace.
 */
export type Episode =
  | { phase: "ok" }
  | { phase: "grace"; startedAt: Instant; graceEndsAt: Instant }
  | { phase: "enforced"; startedAt: Instant; graceEndsAt: Instant };

export const OK: Episode = { phase: "ok" };

export interface EpisodeStep {
  episode: Episode;
  events: PolicyEvent[];
  /** True exactly when this step moved the episode into enforcement. */
  enforcedNow: boolean;
}

/**
 * Advances an episode to `now`, given whether the limit is breached now. Pure and idempotent:
 * stepping twice with the same inputs changes nothing the second time. A grace that ended
 * before `now` is enforced as of its end, so its event carries that instant.
 */
export function stepEpisode(
  episode: Episode,
  limit: EpisodeLimit,
  breached: boolean,
  now: Instant,
  figures: Record<string, unknown> = {},
): EpisodeStep {
  const data = (extra: Record<string, unknown>) => ({ limit, ...figures, ...extra });
  if (episode.phase === "ok") {
    if (!breached) return { episode, events: [], enforcedNow: false };
    const graceEndsAt = now + GRACE_MS;
    return {
      episode: { phase: "grace", startedAt: now, graceEndsAt },
      events: [{ type: "limit.reached", data: data({ graceEndsAt: iso(graceEndsAt) }) }],
      enforcedNow: false,
    };
  }
  if (!breached) {
    return {
      episode: OK,
      events: [{ type: "limit.resolved", data: data({ startedAt: iso(episode.startedAt) }) }],
      enforcedNow: false,
    };
  }
  if (episode.phase === "grace" && now >= episode.graceEndsAt) {
    return {
      episode: { ...episode, phase: "enforced" },
      events: [
        {
          type: "limit.enforced",
          data: data({ graceEndedAt: iso(episode.graceEndsAt) }),
          at: episode.graceEndsAt,
        },
      ],
      enforcedNow: true,
    };
  }
  return { episode, events: [], enforcedNow: false };
}

/** The phase a reader should see at `now`, without applying anything (reads never write). */
export function phaseAt(episode: Episode, now: Instant): Episode["phase"] {
  return episode.phase === "grace" && now >= episode.graceEndsAt ? "enforced" : episode.phase;
}

/** The instant at which the episode needs attention without any traffic, if any. */
export const episodeDeadline = (episode: Episode): Instant | null =>
  episode.phase === "grace" ? episode.graceEndsAt : null;
