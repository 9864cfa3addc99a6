import { describe, expect, it } from "vitest";
import { type Episode, GRACE_MEMORY_MS, GRACE_MS, OK, stepEpisode } from "../../src/policy/episode";
import { DAY_MS, HOUR_MS } from "../../src/policy/time";

/**
 * How long can a workspace keep more than its limit accessible in 30 days, whatever it does?
 * Every way out of an episode (a close, a delete, a disconnect, a raised seat count, plan or
 * override) looks the same to the episode: the breach ends. So a strategy is when to end the
 * breach (how long before the grace end) and how long to stay under before breaching again.
 * Over the limit and accessible means breached while in grace: enforcement blocks or disables
 * the excess. The search covers every pair below; docs/rules.md states the best figure.
 */

const T0 = Date.UTC(2026, 6, 1);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HORIZON_MS = 30 * DAY_MS;
const LIMIT = 3;

/** Before the grace end, the workspace drops under the limit this long ahead. */
const LEADS = [SECOND, MINUTE, HOUR_MS, 6 * HOUR_MS, 23 * HOUR_MS];
/** ... and stays under this long before going over again (an hour at least: bounded steps). */
const AWAYS = [
  HOUR_MS,
  6 * HOUR_MS,
  DAY_MS,
  3 * DAY_MS,
  GRACE_MEMORY_MS - SECOND,
  GRACE_MEMORY_MS,
  GRACE_MEMORY_MS + HOUR_MS,
  10 * DAY_MS,
];

interface Outcome {
  overMs: number;
  episodes: number;
}

/**
 * Plays one strategy on the pure policy: over the limit at T0, then at each grace end minus
 * `lead` (if still in grace) the breach ends by `how`, and comes back after `away`. Once
 * enforced, the workspace ends the breach at once (freeing the blocked) and tries again after
 * `away`. A raised limit ends the breach at LIMIT + 1; a count that went down at LIMIT - 1.
 */
function play(lead: number, away: number, how: "count" | "limit"): Outcome {
  let episode: Episode = OK;
  let now = T0;
  let overMs = 0;
  let episodes = 0;
  const step = (breached: boolean, at: number) => {
    const limit = !breached && how === "limit" ? LIMIT + 1 : LIMIT;
    episode = stepEpisode(episode, "leads", { breached, limit, now: at }).episode;
  };
  while (now < T0 + HORIZON_MS) {
    step(true, now);
    episodes++;
    let leaveAt = now;
    if (episode.phase === "grace") {
      leaveAt = Math.min(Math.max(now, episode.graceEndsAt - lead), T0 + HORIZON_MS);
      overMs += leaveAt - now;
    }
    step(false, leaveAt);
    now = leaveAt + away;
  }
  return { overMs, episodes };
}

describe("the best way around a limit in 30 days", () => {
  const results = LEADS.flatMap((lead) =>
    AWAYS.flatMap((away) =>
      (["count", "limit"] as const).map((how) => ({ lead, away, how, ...play(lead, away, how) })),
    ),
  );
  const best = results.reduce((a, b) => (b.overMs > a.overMs ? b : a));

  it("no strategy keeps the excess longer than four graces (96 h)", () => {
    expect(best.overMs).toBeLessThanOrEqual(4 * GRACE_MS);
    // The best one: leave a second before each grace end, come back when the memory lapses.
    expect(best).toMatchObject({ lead: SECOND, away: GRACE_MEMORY_MS });
    expect(best.overMs).toBe(4 * (GRACE_MS - SECOND));
  });

  it("a raised limit buys exactly what a close buys, never a fresh grace", () => {
    for (const lead of LEADS) {
      for (const away of AWAYS) {
        expect(play(lead, away, "limit")).toEqual(play(lead, away, "count"));
      }
    }
  });

  it("coming back within 7 days keeps the first grace end: one grace in all", () => {
    for (const lead of LEADS) {
      for (const away of AWAYS.filter((a) => a < GRACE_MEMORY_MS)) {
        // Each return lands before the memory lapses, so all of it is inside the first grace.
        const { overMs } = play(lead, away, "limit");
        expect(overMs, `lead ${lead}, away ${away}`).toBeLessThanOrEqual(GRACE_MS);
      }
    }
  });
});
