import { describe, expect, it } from "vitest";
import { type Episode, GRACE_MS, OK, phaseAt, stepEpisode } from "../../src/policy/episode";

const T0 = Date.UTC(2026, 6, 1, 12);

describe("limit episodes", () => {
  it("starts a 24-hour grace when breached, with limit.reached", () => {
    const step = stepEpisode(OK, "leads", true, T0, { used: 5_000, max: 5_000 });
    expect(step.episode).toEqual({ phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS });
    expect(step.events).toEqual([
      {
        type: "limit.reached",
        data: { limit: "leads", used: 5_000, max: 5_000, graceEndsAt: "2026-07-02T12:00:00.000Z" },
      },
    ]);
  });

  const grace: Episode = { phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS };

  it.each([
    ["during grace, still breached", grace, true, T0 + GRACE_MS - 1, "grace", []],
    ["at grace end, still breached", grace, true, T0 + GRACE_MS, "enforced", ["limit.enforced"]],
    ["long after grace end", grace, true, T0 + 10 * GRACE_MS, "enforced", ["limit.enforced"]],
    ["during grace, no longer breached", grace, false, T0 + 1, "ok", ["limit.resolved"]],
    ["ok and not breached", OK, false, T0, "ok", []],
  ] as const)("%s", (_, episode, breached, now, phase, types) => {
    const step = stepEpisode(episode, "whatsapp", breached, now);
    expect(step.episode.phase).toBe(phase);
    expect(step.events.map((e) => e.type)).toEqual(types);
    expect(step.enforcedNow).toBe(phase === "enforced");
  });

  it("dates a lazily applied enforcement at the grace end", () => {
    const step = stepEpisode(grace, "instagram", true, T0 + 3 * GRACE_MS);
    expect(step.events[0]?.at).toBe(T0 + GRACE_MS);
  });

  it("is idempotent: stepping an enforced episode again changes nothing", () => {
    const enforced = stepEpisode(grace, "leads", true, T0 + GRACE_MS).episode;
    const again = stepEpisode(enforced, "leads", true, T0 + 2 * GRACE_MS);
    expect(again).toEqual({ episode: enforced, events: [], enforcedNow: false });
  });

  it("resolves an enforced episode when the breach ends, and the next breach gets a fresh grace", () => {
    const enforced = stepEpisode(grace, "leads", true, T0 + GRACE_MS).episode;
    const resolved = stepEpisode(enforced, "leads", false, T0 + 2 * GRACE_MS);
    expect(resolved.episode).toEqual(OK);
    expect(resolved.events.map((e) => e.type)).toEqual(["limit.resolved"]);
    const again = stepEpisode(resolved.episode, "leads", true, T0 + 3 * GRACE_MS);
    expect(again.episode).toEqual({
      phase: "grace",
      startedAt: T0 + 3 * GRACE_MS,
      graceEndsAt: T0 + 4 * GRACE_MS,
    });
  });

  it("reports a lapsed grace as enforced to readers without applying it", () => {
    expect(phaseAt(grace, T0)).toBe("grace");
    expect(phaseAt(grace, T0 + GRACE_MS)).toBe("enforced");
    expect(phaseAt(OK, T0)).toBe("ok");
  });
});
