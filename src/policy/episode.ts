import { assert } from "./assert";
import type { EventType, PolicyEvent } from "./events";
import { DAY_MS, type Instant, iso } from "./time";

/**
 * The limits that run a grace episode (docs/rules.md, "Leads, contacts and companies" and
 * "WhatsApp numbers and Instagram accounts"); `data.limit` of their events.
 */
export type EpisodeLimit = "leads" | "contactsAndCompanies" | "whatsapp" | "instagram";

export const GRACE_MS = DAY_MS;

/**
 * "No grace twice in a row" (docs/rules.md, "No grace twice in a row"): an episode passes its
 * grace end on to the next episode of the same limit that starts less than this long after it
 * ended, whatever ended it (a count that went down or a raised limit).
 */
export const GRACE_MEMORY_MS = 7 * DAY_MS;

/** A limit's value for an episode: a number, or null for unlimited (channels). */
export type LimitValue = number | null;

/** What an ended episode leaves to the next one of the same limit. */
export interface GraceMemory {
  endedAt: Instant;
  graceEndsAt: Instant;
}

/**
 * One limit's episode: `ok` until the limit is breached, then a 24-hour `grace` during which
 * nothing is enforced, then `enforced` until the breach ends. `limit` is the limit in force at
 * the last step (what the figures of its events say). `enforcedAt` is when enforcement began:
 * the grace end, or the start of an episode that inherited a grace end already past.
 */
export type Episode =
  | { phase: "ok"; memory?: GraceMemory }
  | { phase: "grace"; startedAt: Instant; graceEndsAt: Instant; limit?: LimitValue }
  | {
      phase: "enforced";
      startedAt: Instant;
      graceEndsAt: Instant;
      enforcedAt?: Instant;
      limit?: LimitValue;
    };

export const OK: Episode = { phase: "ok" };

export type EpisodeEventType = Extract<
  EventType,
  "limit.reached" | "limit.enforced" | "limit.resolved"
>;

export interface EpisodeStep {
  episode: Episode;
  events: PolicyEvent[];
  /** True exactly when this step moved the episode into enforcement. */
  enforcedNow: boolean;
  /** When enforcement began, if it began in this step (the grace end, or now). */
  enforcedAt: Instant | null;
}

export interface StepInput {
  breached: boolean;
  /** The limit in force now; compared with the episode's to tell why a breach ended. */
  limit: LimitValue;
  now: Instant;
  /** The figures each event carries (used, max, ...), by event type. */
  figures?: (type: EpisodeEventType) => Record<string, unknown>;
}

/** The memory an `ok` episode holds that still applies at `now`, if any. */
export function liveMemory(episode: Episode, now: Instant): GraceMemory | null {
  if (episode.phase !== "ok" || episode.memory === undefined) return null;
  return now - episode.memory.endedAt < GRACE_MEMORY_MS ? episode.memory : null;
}

/**
 * Advances an episode to `now`, given whether the limit is breached now. Pure and idempotent:
 * stepping twice with the same inputs changes nothing the second time (but for recording a
 * changed limit). A grace that ended before `now` is enforced as of its end, so its event
 * carries that instant. A breach that starts within a week of the end of the previous episode
 * inherits that episode's grace end, and is enforced at once if it has passed.
 */
export function stepEpisode(episode: Episode, name: EpisodeLimit, input: StepInput): EpisodeStep {
  assertEpisode(episode);
  const step = stepUnchecked(episode, name, input);
  assertEpisode(step.episode);
  assert(
    step.enforcedNow === (step.enforcedAt !== null),
    "a step that begins enforcement says when",
  );
  assert(
    step.enforcedAt === null || step.enforcedAt <= input.now,
    "enforcement never begins in the future",
  );
  return step;
}

/**
 * What holds of every episode: a grace lasts at most GRACE_MS from its start and ends after it
 * (an inherited grace end already past is enforced at once, never a grace); enforcement begins
 * no sooner than the episode (docs/rules.md, grace periods).
 */
function assertEpisode(episode: Episode): void {
  if (episode.phase === "grace") {
    assert(episode.startedAt < episode.graceEndsAt, "a grace ends after it starts");
    assert(
      episode.graceEndsAt - episode.startedAt <= GRACE_MS,
      "a grace lasts at most 24 hours from its start",
    );
  }
  if (episode.phase === "enforced" && episode.enforcedAt !== undefined) {
    assert(
      episode.enforcedAt >= Math.min(episode.startedAt, episode.graceEndsAt),
      "enforcement begins no sooner than its episode",
    );
  }
}

function stepUnchecked(episode: Episode, name: EpisodeLimit, input: StepInput): EpisodeStep {
  const { breached, limit, now } = input;
  const data = (type: EpisodeEventType, extra: Record<string, unknown>) => ({
    limit: name,
    ...input.figures?.(type),
    ...extra,
  });
  const none = { enforcedNow: false, enforcedAt: null };
  if (episode.phase === "ok") {
    if (!breached) return { episode, events: [], ...none };
    const memory = liveMemory(episode, now);
    const graceEndsAt = memory?.graceEndsAt ?? now + GRACE_MS;
    const reached: PolicyEvent = {
      type: "limit.reached",
      data: data("limit.reached", {
        graceEndsAt: iso(graceEndsAt),
        ...(memory !== null && { graceCarriedOver: true }),
      }),
    };
    if (now < graceEndsAt) {
      return {
        episode: { phase: "grace", startedAt: now, graceEndsAt, limit },
        events: [reached],
        ...none,
      };
    }
    // No grace twice in a row: the inherited grace is over, so this episode is enforced now.
    return {
      episode: { phase: "enforced", startedAt: now, graceEndsAt, enforcedAt: now, limit },
      events: [
        reached,
        {
          type: "limit.enforced",
          data: data("limit.enforced", { graceEndedAt: iso(graceEndsAt) }),
        },
      ],
      enforcedNow: true,
      enforcedAt: now,
    };
  }
  if (!breached) {
    // Whatever ended it (closes, deletes, disconnects, or a raised limit: plan, seats,
    // overrides) leaves the grace end: raising the seats for a second before each grace end and
    // lowering them again would otherwise hold a limit off forever (docs/rules.md).
    const next: Episode = {
      phase: "ok",
      memory: { endedAt: now, graceEndsAt: episode.graceEndsAt },
    };
    return {
      episode: next,
      events: [
        {
          type: "limit.resolved",
          data: data("limit.resolved", { startedAt: iso(episode.startedAt) }),
        },
      ],
      ...none,
    };
  }
  if (episode.phase === "grace" && now >= episode.graceEndsAt) {
    const at = episode.graceEndsAt;
    return {
      episode: { ...episode, phase: "enforced", enforcedAt: at, limit },
      events: [
        {
          type: "limit.enforced",
          data: data("limit.enforced", { graceEndedAt: iso(at) }),
          at,
        },
      ],
      enforcedNow: true,
      enforcedAt: at,
    };
  }
  if (episode.limit === limit) return { episode, events: [], ...none };
  return { episode: { ...episode, limit }, events: [], ...none };
}

/** The phase a reader should see at `now`, without applying anything (reads never write). */
export function phaseAt(episode: Episode, now: Instant): Episode["phase"] {
  return episode.phase === "grace" && now >= episode.graceEndsAt ? "enforced" : episode.phase;
}

/** The instant at which the episode needs attention without any traffic, if any. */
export const episodeDeadline = (episode: Episode): Instant | null =>
  episode.phase === "grace" ? episode.graceEndsAt : null;

/** True when two stored episodes differ (a step may only record the limit in force). */
export const episodeChanged = (a: Episode, b: Episode): boolean =>
  JSON.stringify(a) !== JSON.stringify(b);
