import { describe, expect, it } from "vitest";
import { effectiveLimits, type Plan, type Subscription } from "../../src/policy/catalogue";
import {
  channelDisabled,
  excessOf,
  isGrandfathered,
  stepChannels,
  viewChannels,
} from "../../src/policy/channels";
import { type Episode, GRACE_MS, OK } from "../../src/policy/episode";
import { DAY_MS } from "../../src/policy/time";

/** The built-in version's grandfathering date: the June 1, 2026 cut-over. */
const CUTOVER_AT = Date.UTC(2026, 5, 1);

const T0 = Date.UTC(2026, 6, 1, 12);
const grace: Episode = { phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS, limit: 1 };
const enforced: Episode = { ...grace, phase: "enforced", enforcedAt: T0 + GRACE_MS };

function sub(plan: Plan, seats: number, overrides: Subscription["overrides"] = {}): Subscription {
  return {
    workspaceId: "w",
    plan,
    seats,
    periodAnchor: T0,
    subscribedAt: T0,
    overrides,
    updatedAt: T0,
  };
}

describe("channel limits from the catalogue (the seed table)", () => {
  it.each([
    ["base", 1, 1],
    ["base", 2, 2],
    ["base", 7, 7],
    ["advanced", 1, 3],
    ["advanced", 2, 3],
    ["advanced", 3, 3],
    ["advanced", 4, 4],
    ["advanced", 5, 5],
    ["pro", 1, null],
    ["pro", 40, null],
    ["enterprise", 3, null],
    ["trial", 1, null],
    ["partner", 2, null],
    ["shopify", 2, 2],
  ] as const)("%s × %i seats: %s numbers and %s accounts", (plan, seats, limit) => {
    const l = effectiveLimits(sub(plan, seats));
    expect(l.whatsapp).toBe(limit);
    expect(l.instagram).toBe(limit);
  });

  it("takes each kind's override on its own, null meaning unlimited", () => {
    const l = effectiveLimits(sub("base", 2, { whatsappNumbers: 10, instagramAccounts: null }));
    expect(l.whatsapp).toBe(10);
    expect(l.instagram).toBeNull();
    expect(effectiveLimits(sub("pro", 2, { instagramAccounts: 4 })).instagram).toBe(4);
  });
});

describe("grandfathering", () => {
  it("is connection before the cut-over, to the millisecond", () => {
    expect(isGrandfathered(CUTOVER_AT - 1)).toBe(true);
    expect(isGrandfathered(CUTOVER_AT)).toBe(false);
  });
});

describe("excess: what enforcement would have to disable", () => {
  // active, grandfathered, limit, excess
  it.each([
    [0, 0, 1, 0],
    [1, 0, 1, 0],
    [2, 0, 1, 1],
    [5, 0, 2, 3],
    [3, 3, 1, 0], // over the count with grandfathered alone: nothing could be disabled
    [4, 3, 1, 1], // a new one beside three grandfathered is the excess
    [6, 3, 1, 3], // every non-grandfathered one, never more
    [4, 1, 3, 1],
    [9, 0, null, 0],
    [1, 0, 0, 1],
  ] as const)("%i active (%i grandfathered), limit %s → %i", (active, gf, limit, excess) => {
    expect(excessOf({ active, grandfathered: gf }, limit)).toBe(excess);
  });
});

describe("stepping a kind's episode", () => {
  it("starts a 24-hour grace when a non-grandfathered channel does not fit", () => {
    const step = stepChannels("whatsapp", OK, { active: 2, grandfathered: 0 }, 1, T0);
    expect(step.episode).toEqual(grace);
    expect(step.disable).toBe(0);
    expect(step.events).toEqual([
      {
        type: "limit.reached",
        data: {
          limit: "whatsapp",
          used: 2,
          max: 1,
          excess: 1,
          graceEndsAt: "2026-07-02T12:00:00.000Z",
        },
      },
    ]);
  });

  it("starts no grace when only grandfathered channels are over the limit", () => {
    const step = stepChannels("instagram", OK, { active: 3, grandfathered: 3 }, 1, T0);
    expect(step).toEqual({ episode: OK, events: [], disable: 0, disableAt: null });
  });

  it("keeps the grace running, with nothing disabled, until its last millisecond", () => {
    const step = stepChannels(
      "whatsapp",
      grace,
      { active: 3, grandfathered: 0 },
      1,
      T0 + GRACE_MS - 1,
    );
    expect(step).toEqual({ episode: grace, events: [], disable: 0, disableAt: null });
  });

  it("disables the excess at the grace end, dated at the grace end even when applied later", () => {
    const step = stepChannels(
      "whatsapp",
      grace,
      { active: 4, grandfathered: 3 },
      1,
      T0 + 3 * GRACE_MS,
    );
    expect(step.episode).toEqual(enforced);
    expect(step.disable).toBe(1);
    expect(step.disableAt).toBe(T0 + GRACE_MS);
    expect(step.events).toEqual([
      {
        type: "limit.enforced",
        data: {
          limit: "whatsapp",
          used: 3,
          max: 1,
          disabled: 1,
          graceEndedAt: "2026-07-02T12:00:00.000Z",
        },
        at: T0 + GRACE_MS,
      },
    ]);
  });

  it("resolves a grace when the limit is raised; the grace end is still remembered", () => {
    const step = stepChannels("instagram", grace, { active: 2, grandfathered: 0 }, 2, T0 + 5);
    expect(step.episode).toEqual({
      phase: "ok",
      memory: { endedAt: T0 + 5, graceEndsAt: T0 + GRACE_MS },
    });
    expect(step.events.map((e) => [e.type, e.data.limit])).toEqual([
      ["limit.resolved", "instagram"],
    ]);
  });

  it("resolves a grace whose excess is grandfathered only (the new one disconnected)", () => {
    const step = stepChannels("whatsapp", grace, { active: 3, grandfathered: 3 }, 1, T0 + 5);
    // The count went down: the grace end is left to the next episode.
    expect(step.episode).toEqual({
      phase: "ok",
      memory: { endedAt: T0 + 5, graceEndsAt: T0 + GRACE_MS },
    });
    expect(step.events.map((e) => e.type)).toEqual(["limit.resolved"]);
  });

  // episode, active, grandfathered, limit, phase after, events
  it.each([
    ["enforced, still at the limit", 1, 0, 1, "enforced", []],
    ["enforced, over with grandfathered only", 3, 3, 1, "enforced", []],
    ["enforced, a place frees", 0, 0, 1, "ok", ["limit.resolved"]],
    ["enforced, the limit is raised", 1, 0, 3, "ok", ["limit.resolved"]],
    ["enforced, the plan becomes unlimited", 4, 3, null, "ok", ["limit.resolved"]],
  ] as const)("%s", (_, active, gf, limit, phase, types) => {
    const now = T0 + 2 * GRACE_MS;
    const step = stepChannels("whatsapp", enforced, { active, grandfathered: gf }, limit, now);
    expect(step.episode.phase).toBe(phase);
    expect(step.events.map((e) => e.type)).toEqual(types);
    expect(step.disable).toBe(0);
  });

  it("a place freed or a raised limit after enforcement leaves the enforcement as the memory", () => {
    const now = T0 + 2 * GRACE_MS;
    const freed = stepChannels("whatsapp", enforced, { active: 0, grandfathered: 0 }, 1, now);
    expect(freed.episode).toEqual({
      phase: "ok",
      memory: { endedAt: T0 + GRACE_MS, graceEndsAt: T0 + GRACE_MS },
    });
    const raised = stepChannels("whatsapp", enforced, { active: 1, grandfathered: 0 }, 3, now);
    expect(raised.episode).toEqual(freed.episode);
  });

  it("a new excess within 7 days of the enforcement gets no grace: disabled at once", () => {
    const now = T0 + GRACE_MS + 6 * DAY_MS;
    const step = stepChannels("whatsapp", enforced, { active: 2, grandfathered: 0 }, 1, now);
    expect(step.episode).toEqual({
      phase: "enforced",
      startedAt: now,
      graceEndsAt: T0 + GRACE_MS,
      enforcedAt: now,
      limit: 1,
    });
    expect(step).toMatchObject({ disable: 1, disableAt: now });
    expect(step.events).toEqual([
      {
        type: "limit.reached",
        data: {
          limit: "whatsapp",
          used: 2,
          max: 1,
          excess: 1,
          graceEndsAt: "2026-07-02T12:00:00.000Z",
          graceCarriedOver: true,
        },
      },
      {
        type: "limit.enforced",
        data: {
          limit: "whatsapp",
          used: 1,
          max: 1,
          disabled: 1,
          graceEndedAt: "2026-07-02T12:00:00.000Z",
        },
      },
    ]);
  });

  it("a new excess 7 days or more after the enforcement gets a fresh grace", () => {
    const now = T0 + GRACE_MS + 7 * DAY_MS;
    const step = stepChannels("whatsapp", enforced, { active: 2, grandfathered: 0 }, 1, now);
    expect(step.episode).toEqual({
      phase: "grace",
      startedAt: now,
      graceEndsAt: now + GRACE_MS,
      limit: 1,
    });
    expect(step.disable).toBe(0);
    expect(step.events.map((e) => e.type)).toEqual(["limit.reached"]);
  });

  it("is idempotent: stepping the result again changes nothing", () => {
    const first = stepChannels("whatsapp", OK, { active: 2, grandfathered: 0 }, 1, T0);
    const again = stepChannels(
      "whatsapp",
      first.episode,
      { active: 2, grandfathered: 0 },
      1,
      T0 + 1,
    );
    expect(again).toEqual({ episode: first.episode, events: [], disable: 0, disableAt: null });
    const after = { active: 1, grandfathered: 0 };
    const done = stepChannels("whatsapp", enforced, after, 1, T0 + GRACE_MS);
    expect(done).toEqual({ episode: enforced, events: [], disable: 0, disableAt: null });
  });
});

describe("what a reader sees without applying anything", () => {
  it.each([
    ["ok", OK, 1, { state: "ok", graceEndsAt: null, pendingDisable: 0 }],
    ["grace running", grace, T0, { state: "grace", graceEndsAt: T0 + GRACE_MS, pendingDisable: 0 }],
    [
      "grace lapsed, not applied yet",
      grace,
      T0 + GRACE_MS,
      { state: "enforced", graceEndsAt: T0 + GRACE_MS, pendingDisable: 2 },
    ],
    [
      "enforced",
      enforced,
      T0 + 9 * GRACE_MS,
      { state: "enforced", graceEndsAt: T0 + GRACE_MS, pendingDisable: 0 },
    ],
  ] as const)("%s", (_, episode, now, view) => {
    expect(viewChannels(episode, { active: 3, grandfathered: 0 }, 1, now)).toEqual(view);
  });
});

describe("channel.disabled", () => {
  it("names the kind, the channel, when it was connected and when it was disabled", () => {
    expect(channelDisabled("instagram", { id: "acct-1", connectedAt: T0 }, T0 + GRACE_MS)).toEqual({
      type: "channel.disabled",
      data: {
        kind: "instagram",
        channelId: "acct-1",
        connectedAt: "2026-07-01T12:00:00.000Z",
        disabledAt: "2026-07-02T12:00:00.000Z",
      },
      at: T0 + GRACE_MS,
    });
  });
});
