import { assert, isCount } from "./assert";
import { type Episode, type EpisodeEventType, stepEpisode } from "./episode";
import type { PolicyEvent } from "./events";
import { type Instant, iso } from "./time";

/**
 * The two channel limits (docs/rules.md, "WhatsApp numbers and Instagram accounts"); also
 * `data.limit` of their episode events.
 */
export const CHANNEL_KINDS = ["whatsapp", "instagram"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A channel connected before its version's `connectedBefore` counts but is never disabled. */
export { isGrandfathered } from "./catalogue";

/** What one kind's limit depends on: counters kept exact by every connect, disable and delete. */
export interface ChannelCounts {
  /** Connected and enabled, grandfathered included: what counts against the limit. */
  active: number;
  /** Active and grandfathered: they count but can never be disabled. */
  grandfathered: number;
}

/**
 * How many channels would have to be disabled for the count to fit: the active channels over
 * the limit, but never more than the non-grandfathered ones, since only those can be disabled.
 * Being over the limit with grandfathered channels alone is therefore no breach.
 */
export function excessOf(counts: ChannelCounts, limit: number | null): number {
  if (limit === null) return 0;
  const disableable = counts.active - counts.grandfathered;
  return Math.max(0, Math.min(disableable, counts.active - limit));
}

export interface ChannelStep {
  episode: Episode;
  /**
   * Episode events in order. When channels are disabled, their `channel.disabled` events go
   * right before `limit.enforced`, which reports the figures after the disabling.
   */
  events: PolicyEvent[];
  /** How many non-grandfathered channels to disable now, earliest connected first. */
  disable: number;
  /** The logical instant of the disabling: the end of the grace that expired, or now. */
  disableAt: Instant | null;
}

const withLimit = (episode: Episode, limit: number | null): Episode =>
  episode.phase === "ok" || episode.limit === limit ? episode : { ...episode, limit };

/**
 * Advances one kind's episode to `now`. For channels the breach is an excess: a
 * non-grandfathered channel that does not fit.
 *
 * - `ok` → `grace` when a channel does not fit (`limit.reached`): a fresh 24 hours, or the
 *   grace end of the last episode when it ended less than 7 days ago, whatever ended it ("no
 *   grace twice in a row", docs/rules.md), enforced at once if that has passed.
 * - `grace` → `ok` when it fits again (`limit.resolved`): a disconnect or a raised limit, either
 *   of which leaves the grace end to the next episode.
 * - `grace` → `enforced` at its end if it still does not fit: the excess is disabled, after
 *   which it fits again, so `enforced` means "the limit was enforced and the workspace is still
 *   at (or, with grandfathered channels, over) its limit". The disabling brought the count
 *   down, so the episode's breach ended then: a new excess within 7 days of the enforcement is
 *   a new episode with no fresh grace, so it is disabled at once.
 * - `enforced` → `ok` once there is room again (count < limit, or unlimited): `limit.resolved`.
 */
export function stepChannels(
  kind: ChannelKind,
  episode: Episode,
  counts: ChannelCounts,
  limit: number | null,
  now: Instant,
): ChannelStep {
  assert(
    isCount(counts.active) && isCount(counts.grandfathered),
    "channel counts are whole and never negative",
  );
  assert(counts.grandfathered <= counts.active, "grandfathered channels are active ones");
  assert(limit === null || isCount(limit), "a channel limit is null or a whole number");
  const step = stepUnchecked(kind, episode, counts, limit, now);
  // Only what exceeds the limit is disabled, and never a grandfathered channel.
  assert(
    step.disable <= counts.active - counts.grandfathered,
    "no grandfathered channel is ever disabled",
  );
  assert(
    step.disable === 0 || (limit !== null && counts.active - step.disable >= limit),
    "disabling stops at the limit",
  );
  return step;
}

function stepUnchecked(
  kind: ChannelKind,
  episode: Episode,
  counts: ChannelCounts,
  limit: number | null,
  now: Instant,
): ChannelStep {
  const excess = excessOf(counts, limit);
  const none = { disable: 0, disableAt: null };
  const figures = (type: EpisodeEventType) =>
    type === "limit.enforced"
      ? { used: counts.active - excess, max: limit, disabled: excess }
      : type === "limit.reached"
        ? { used: counts.active, max: limit, excess }
        : { used: counts.active, max: limit };
  let from = episode;
  if (episode.phase === "enforced") {
    const breachEndedAt = episode.enforcedAt ?? episode.graceEndsAt;
    if (excess === 0) {
      const room = limit === null || counts.active < limit;
      if (!room) return { episode: withLimit(episode, limit), events: [], ...none };
      const resolved = stepEpisode(episode, kind, { breached: false, limit, now, figures });
      const next: Episode =
        resolved.episode.phase === "ok" && resolved.episode.memory !== undefined
          ? { phase: "ok", memory: { ...resolved.episode.memory, endedAt: breachEndedAt } }
          : resolved.episode;
      return { episode: next, events: resolved.events, ...none };
    }
    // A new excess (a connection, a lower limit) starts a new episode after one that ended by
    // the disabling, so it inherits that grace end.
    from = { phase: "ok", memory: { endedAt: breachEndedAt, graceEndsAt: episode.graceEndsAt } };
  }
  const step = stepEpisode(from, kind, { breached: excess > 0, limit, now, figures });
  if (!step.enforcedNow) return { episode: step.episode, events: step.events, ...none };
  return {
    episode: step.episode,
    events: step.events,
    disable: excess,
    disableAt: step.enforcedAt,
  };
}

/** The announcement of one channel disabled at the end of a grace. */
export const channelDisabled = (
  kind: ChannelKind,
  channel: { id: string; connectedAt: Instant },
  at: Instant,
): PolicyEvent => ({
  type: "channel.disabled",
  data: { kind, channelId: channel.id, connectedAt: iso(channel.connectedAt), disabledAt: iso(at) },
  at,
});

/** The state a reader should see at `now` without applying anything (reads never write). */
export interface ChannelPhaseView {
  state: Episode["phase"];
  graceEndsAt: Instant | null;
  /** Channels a lapsed grace disables but that no call has disabled in storage yet. */
  pendingDisable: number;
}

export function viewChannels(
  episode: Episode,
  counts: ChannelCounts,
  limit: number | null,
  now: Instant,
): ChannelPhaseView {
  if (episode.phase === "ok") return { state: "ok", graceEndsAt: null, pendingDisable: 0 };
  const lapsed = episode.phase === "grace" && now >= episode.graceEndsAt;
  const pendingDisable = lapsed ? excessOf(counts, limit) : 0;
  // A lapsed grace with nothing to disable cannot persist (every change settles first), but
  // if it did the next settle would resolve it, so that is what a reader is told.
  if (lapsed && pendingDisable === 0) return { state: "ok", graceEndsAt: null, pendingDisable };
  return {
    state: lapsed ? "enforced" : episode.phase,
    graceEndsAt: episode.graceEndsAt,
    pendingDisable,
  };
}
