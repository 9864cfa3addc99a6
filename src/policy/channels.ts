import { type Episode, OK, stepEpisode } from "./episode";
import type { PolicyEvent } from "./events";
import { CUTOVER_AT, type Instant, iso } from "./time";

/** The two channel limits (PRODUCT.md §5); also `data.limit` of their episode events. */
export const CHANNEL_KINDS = ["whatsapp", "instagram"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A channel connected before the cut-over counts but is never disabled. */
export const isGrandfathered = (connectedAt: Instant): boolean => connectedAt < CUTOVER_AT;

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
  /** Episode events in order; `limit.enforced` comes after the `channel.disabled` events. */
  events: PolicyEvent[];
  /** How many non-grandfathered channels to disable now, earliest connected first. */
  disable: number;
  /** The logical instant of the disabling: the end of the grace that expired. */
  disableAt: Instant | null;
}

/**
 * Advances one kind's episode to `now`.
 *
 * - `ok` → `grace` when a non-grandfathered channel does not fit (`limit.reached`).
 * - `grace` → `ok` when it fits again (`limit.resolved`): a disconnect or a raised limit.
 * - `grace` → `enforced` at its end if it still does not fit: the excess is disabled, after
 *   which it fits again, so `enforced` means "the limit was enforced and the workspace is still
 *   at (or, with grandfathered channels, over) its limit".
 * - `enforced` → `ok` once there is room again (count < limit, or unlimited): `limit.resolved`.
 * - `enforced` → `grace` when a new excess appears (a connection, a lower limit): a fresh
 *   24-hour grace with its own `limit.reached`; the earlier enforcement stays done.
 */
export function stepChannels(
  kind: ChannelKind,
  episode: Episode,
  counts: ChannelCounts,
  limit: number | null,
  now: Instant,
): ChannelStep {
  const excess = excessOf(counts, limit);
  const none = { disable: 0, disableAt: null };
  if (episode.phase === "enforced") {
    if (excess > 0) {
      const fresh = stepEpisode(OK, kind, true, now, { used: counts.active, max: limit, excess });
      return { episode: fresh.episode, events: fresh.events, ...none };
    }
    const room = limit === null || counts.active < limit;
    if (!room) return { episode, events: [], ...none };
    const resolved = stepEpisode(episode, kind, false, now, { used: counts.active, max: limit });
    return { episode: resolved.episode, events: resolved.events, ...none };
  }
  const ending = episode.phase === "grace" && now >= episode.graceEndsAt && excess > 0;
  const figures = ending
    ? { used: counts.active - excess, max: limit, disabled: excess }
    : excess > 0
      ? { used: counts.active, max: limit, excess }
      : { used: counts.active, max: limit };
  const step = stepEpisode(episode, kind, excess > 0, now, figures);
  const next = { episode: step.episode, events: step.events };
  if (!step.enforcedNow || episode.phase !== "grace") return { ...next, ...none };
  return { ...next, disable: excess, disableAt: episode.graceEndsAt };
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
