import { describe, expect, it } from "vitest";
import {
  type Episode,
  GRACE_MEMORY_MS,
  GRACE_MS,
  OK,
  phaseAt,
  stepEpisode,
} from "../../src/policy/episode";
import { DAY_MS } from "../../src/policy/time";

const T0 = Date.UTC(2026, 6, 1, 12);
const MINUTE = 60_000;

/** A step at limit 5 unless told otherwise. */
const step = (episode: Episode, breached: boolean, now: number, limit: number | null = 5) =>
  stepEpisode(episode, "leads", { breached, limit, now });

describe("limit episodes", () => {
  it("starts a 24-hour grace when breached, with limit.reached", () => {
    const s = stepEpisode(OK, "leads", {
      breached: true,
      limit: 5_000,
      now: T0,
      figures: () => ({ used: 5_000, max: 5_000 }),
    });
    expect(s.episode).toEqual({
      phase: "grace",
      startedAt: T0,
      graceEndsAt: T0 + GRACE_MS,
      limit: 5_000,
    });
    expect(s.events).toEqual([
      {
        type: "limit.reached",
        data: { limit: "leads", used: 5_000, max: 5_000, graceEndsAt: "2026-07-02T12:00:00.000Z" },
      },
    ]);
  });

  const grace: Episode = { phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS, limit: 5 };

  it.each([
    ["during grace, still breached", grace, true, T0 + GRACE_MS - 1, "grace", []],
    ["at grace end, still breached", grace, true, T0 + GRACE_MS, "enforced", ["limit.enforced"]],
    ["long after grace end", grace, true, T0 + 10 * GRACE_MS, "enforced", ["limit.enforced"]],
    ["during grace, no longer breached", grace, false, T0 + 1, "ok", ["limit.resolved"]],
    ["ok and not breached", OK, false, T0, "ok", []],
  ] as const)("%s", (_, episode, breached, now, phase, types) => {
    const s = stepEpisode(episode, "whatsapp", { breached, limit: 5, now });
    expect(s.episode.phase).toBe(phase);
    expect(s.events.map((e) => e.type)).toEqual(types);
    expect(s.enforcedNow).toBe(phase === "enforced");
  });

  it("dates a lazily applied enforcement at the grace end", () => {
    const s = step(grace, true, T0 + 3 * GRACE_MS);
    expect(s.events[0]?.at).toBe(T0 + GRACE_MS);
    expect(s.enforcedAt).toBe(T0 + GRACE_MS);
    expect(s.episode).toMatchObject({ phase: "enforced", enforcedAt: T0 + GRACE_MS });
  });

  it("is idempotent: stepping an enforced episode again changes nothing", () => {
    const enforced = step(grace, true, T0 + GRACE_MS).episode;
    const again = step(enforced, true, T0 + 2 * GRACE_MS);
    expect(again).toEqual({ episode: enforced, events: [], enforcedNow: false, enforcedAt: null });
  });

  it("records a changed limit without an event, so a later ending can tell why it ended", () => {
    const lowered = step(grace, true, T0 + 1, 3);
    expect(lowered).toMatchObject({ events: [], episode: { phase: "grace", limit: 3 } });
  });

  it("reports a lapsed grace as enforced to readers without applying it", () => {
    expect(phaseAt(grace, T0)).toBe("grace");
    expect(phaseAt(grace, T0 + GRACE_MS)).toBe("enforced");
    expect(phaseAt(OK, T0)).toBe("ok");
  });
});

describe("no grace twice in a row", () => {
  const grace: Episode = { phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS, limit: 5 };

  it("an episode ended by the count going down leaves its grace end to the next one", () => {
    const ended = step(grace, false, T0 + GRACE_MS - MINUTE);
    expect(ended.episode).toEqual({
      phase: "ok",
      memory: { endedAt: T0 + GRACE_MS - MINUTE, graceEndsAt: T0 + GRACE_MS },
    });
    const again = step(ended.episode, true, T0 + GRACE_MS - MINUTE / 2);
    expect(again.episode).toEqual({
      phase: "grace",
      startedAt: T0 + GRACE_MS - MINUTE / 2,
      graceEndsAt: T0 + GRACE_MS,
      limit: 5,
    });
    expect(again.events).toEqual([
      {
        type: "limit.reached",
        data: { limit: "leads", graceEndsAt: "2026-07-02T12:00:00.000Z", graceCarriedOver: true },
      },
    ]);
    // ... and the grace ends when the first one would have.
    expect(step(again.episode, true, T0 + GRACE_MS).events.map((e) => e.type)).toEqual([
      "limit.enforced",
    ]);
  });

  it("a new episode whose inherited grace end has passed is enforced at once, dated now", () => {
    const enforced = step(grace, true, T0 + GRACE_MS).episode;
    const ended = step(enforced, false, T0 + 2 * DAY_MS);
    const now = T0 + 3 * DAY_MS;
    const again = step(ended.episode, true, now);
    expect(again.episode).toEqual({
      phase: "enforced",
      startedAt: now,
      graceEndsAt: T0 + GRACE_MS,
      enforcedAt: now,
      limit: 5,
    });
    expect(again.events.map((e) => [e.type, e.at])).toEqual([
      ["limit.reached", undefined],
      ["limit.enforced", undefined],
    ]);
    expect(again).toMatchObject({ enforcedNow: true, enforcedAt: now });
  });

  it("the memory lasts less than 7 days after the end: then a fresh 24 hours", () => {
    const ended = step(grace, false, T0 + MINUTE).episode;
    const last = T0 + MINUTE + GRACE_MEMORY_MS - 1;
    expect(step(ended, true, last).episode).toMatchObject({ graceEndsAt: T0 + GRACE_MS });
    const fresh = T0 + MINUTE + GRACE_MEMORY_MS;
    expect(step(ended, true, fresh).episode).toMatchObject({ graceEndsAt: fresh + GRACE_MS });
    expect(step(ended, true, fresh).events[0]?.data.graceCarriedOver).toBeUndefined();
  });

  it("an episode ended by a raised limit leaves its grace end too: no fresh grace", () => {
    // Seats 1 → 2 a minute before the grace end (limit 5 → 10), then back to 1 (docs/rules.md).
    const ended = step(grace, false, T0 + GRACE_MS - MINUTE, 10);
    expect(ended.episode).toEqual({
      phase: "ok",
      memory: { endedAt: T0 + GRACE_MS - MINUTE, graceEndsAt: T0 + GRACE_MS },
    });
    const back = step(ended.episode, true, T0 + GRACE_MS - MINUTE + 1_000, 5);
    expect(back.episode).toMatchObject({ phase: "grace", graceEndsAt: T0 + GRACE_MS });
    expect(back.events[0]?.data.graceCarriedOver).toBe(true);
    const late = step(ended.episode, true, T0 + GRACE_MS + MINUTE, 5);
    expect(late.episode).toMatchObject({ phase: "enforced", enforcedAt: T0 + GRACE_MS + MINUTE });
  });
});
