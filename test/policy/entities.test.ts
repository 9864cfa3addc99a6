import { describe, expect, it } from "vitest";
import {
  admit,
  closeTransition,
  type Entity,
  isAccessible,
  type PoolState,
  poolOf,
  poolView,
  release,
  reopenTransition,
  settlePool,
} from "../../src/policy/entities";
import { type Episode, GRACE_MS, OK } from "../../src/policy/episode";

const T0 = Date.UTC(2026, 6, 1, 12);
const grace: Episode = { phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS, limit: 5 };
const enforced: Episode = { ...grace, phase: "enforced", enforcedAt: T0 + GRACE_MS };
const pool = (counted: number, blocked = 0, episode: Episode = OK): PoolState => ({
  counted,
  blocked,
  episode,
});
const lead = { kind: "leads" as const, id: "L1" };

describe("entity pools", () => {
  it("puts leads in their own limit and contacts with companies in a shared one", () => {
    expect(poolOf("leads")).toBe("leads");
    expect(poolOf("contacts")).toBe("contactsAndCompanies");
    expect(poolOf("companies")).toBe("contactsAndCompanies");
  });

  it("makes only blocked entities inaccessible", () => {
    expect([isAccessible("active"), isAccessible("blocked"), isAccessible("closed")]).toEqual([
      true,
      false,
      true,
    ]);
  });
});

describe("admitting a new or reopened entity (limit 5)", () => {
  it.each([
    ["far below the limit", pool(3), 0, "active", pool(4), []],
    [
      "the create that reaches the limit",
      pool(4),
      0,
      "active",
      pool(5, 0, grace),
      ["limit.reached"],
    ],
    ["a create during grace", pool(5, 0, grace), GRACE_MS - 1, "active", pool(6, 0, grace), []],
    [
      "a create under enforcement",
      pool(5, 2, enforced),
      2 * GRACE_MS,
      "blocked",
      pool(5, 3, enforced),
      ["entity.blocked"],
    ],
  ] as const)("%s", (_, before, after, status, state, types) => {
    const admission = admit(lead, before, 5, T0 + after);
    expect(admission.status).toBe(status);
    expect(admission.state).toEqual(state);
    expect(admission.events.map((e) => e.type)).toEqual(types);
  });

  it("announces the reach with the figures and the grace end", () => {
    const { events } = admit(lead, pool(4), 5, T0);
    expect(events).toEqual([
      {
        type: "limit.reached",
        data: {
          limit: "leads",
          used: 5,
          max: 5,
          blocked: 0,
          kind: "leads",
          id: "L1",
          graceEndsAt: "2026-07-02T12:00:00.000Z",
        },
      },
    ]);
  });

  it("names the blocked entity and its limit", () => {
    const contact = { kind: "contacts" as const, id: "C9" };
    const { events } = admit(contact, pool(5, 0, enforced), 5, T0 + 2 * GRACE_MS);
    expect(events).toEqual([
      {
        type: "entity.blocked",
        data: { kind: "contacts", id: "C9", limit: "contactsAndCompanies", used: 5, max: 5 },
      },
    ]);
  });

  it("reaches the limit within a week of an episode ended by closes: no fresh grace", () => {
    const memory = { endedAt: T0 + 2 * GRACE_MS, graceEndsAt: T0 + GRACE_MS };
    const now = T0 + 3 * GRACE_MS;
    const admission = admit(lead, pool(4, 0, { phase: "ok", memory }), 5, now);
    // The entity that reaches the limit is within it: active; the episode is enforced at once.
    expect(admission.status).toBe("active");
    expect(admission.state).toEqual(
      pool(5, 0, {
        phase: "enforced",
        startedAt: now,
        graceEndsAt: T0 + GRACE_MS,
        enforcedAt: now,
        limit: 5,
      }),
    );
    expect(admission.events.map((e) => e.type)).toEqual(["limit.reached", "limit.enforced"]);
    // The next one is blocked.
    expect(admit(lead, admission.state, 5, now).status).toBe("blocked");
  });

  it("starts a grace at once when the limit is 0", () => {
    const admission = admit(lead, pool(0), 0, T0);
    expect(admission.status).toBe("active");
    expect(admission.state).toEqual(pool(1, 0, { ...grace, limit: 0 }));
  });
});

describe("settling a pool", () => {
  it.each([
    ["nothing to do below the limit", pool(3), 5, 0, 0, 0, pool(3), []],
    ["grace still running", pool(5, 0, grace), 5, GRACE_MS - 1, 0, 0, pool(5, 0, grace), []],
    [
      "grace over, still at the limit: nothing beyond it to block",
      pool(5, 0, grace),
      5,
      GRACE_MS,
      0,
      0,
      pool(5, 0, enforced),
      ["limit.enforced"],
    ],
    [
      "grace over, over the limit: the entities beyond it are blocked",
      pool(205, 0, grace),
      5,
      GRACE_MS,
      0,
      200,
      pool(5, 200, enforced),
      ["limit.enforced"],
    ],
    [
      "grace over, below the limit again",
      pool(4, 0, grace),
      5,
      GRACE_MS,
      0,
      0,
      pool(4, 0, { phase: "ok", memory: { endedAt: T0 + GRACE_MS, graceEndsAt: T0 + GRACE_MS } }),
      ["limit.resolved"],
    ],
    [
      "enforced, a slot freed: oldest blocked takes it",
      pool(4, 3, enforced),
      5,
      2 * GRACE_MS,
      1,
      0,
      pool(5, 2, enforced),
      [],
    ],
    [
      "enforced, a seat added: all blocked fit, the episode still leaves its grace end",
      pool(5, 3, enforced),
      10,
      2 * GRACE_MS,
      3,
      0,
      pool(8, 0, {
        phase: "ok",
        memory: { endedAt: T0 + 2 * GRACE_MS, graceEndsAt: T0 + GRACE_MS },
      }),
      ["limit.resolved"],
    ],
    [
      "enforced, limit raised by 2 of 3 blocked",
      pool(5, 3, enforced),
      7,
      2 * GRACE_MS,
      2,
      0,
      pool(7, 1, { ...enforced, limit: 7 }),
      [],
    ],
    [
      "enforced, limit lowered: the newest beyond it are blocked",
      pool(5, 1, enforced),
      3,
      2 * GRACE_MS,
      0,
      2,
      pool(3, 3, { ...enforced, limit: 3 }),
      [],
    ],
    [
      "limit lowered under the count: a fresh grace, nothing blocked",
      pool(8),
      5,
      0,
      0,
      0,
      pool(8, 0, grace),
      ["limit.reached"],
    ],
  ] as const)("%s", (_, before, limit, after, unblock, block, state, types) => {
    const settled = settlePool("leads", before, limit, T0 + after);
    expect(settled.unblock).toBe(unblock);
    expect(settled.block).toBe(block);
    expect(settled.state).toEqual(state);
    expect(settled.events.map((e) => e.type)).toEqual(types);
  });

  it("reports the figures after the blocks in limit.enforced, dated at the grace end", () => {
    const settled = settlePool("leads", pool(12, 0, grace), 5, T0 + 2 * GRACE_MS);
    expect(settled.enforcedAt).toBe(T0 + GRACE_MS);
    expect(settled.events).toEqual([
      {
        type: "limit.enforced",
        data: {
          limit: "leads",
          used: 5,
          max: 5,
          blocked: 7,
          graceEndedAt: "2026-07-02T12:00:00.000Z",
        },
        at: T0 + GRACE_MS,
      },
    ]);
  });

  it("is idempotent", () => {
    const once = settlePool("leads", pool(5, 0, grace), 5, T0 + GRACE_MS);
    const twice = settlePool("leads", once.state, 5, T0 + GRACE_MS + 1);
    expect(twice).toEqual({
      state: once.state,
      unblock: 0,
      block: 0,
      enforcedAt: null,
      events: [],
    });
  });

  it("dates a lazily applied enforcement at the grace end", () => {
    const settled = settlePool("contactsAndCompanies", pool(5, 0, grace), 5, T0 + 3 * GRACE_MS);
    expect(settled.events[0]?.at).toBe(T0 + GRACE_MS);
    expect(settled.events[0]?.data.limit).toBe("contactsAndCompanies");
  });
});

describe("closing, reopening, deleting", () => {
  const entity = (status: Entity["status"], outcome: Entity["outcome"] = null): Entity => ({
    kind: "leads",
    id: "L1",
    status,
    outcome,
  });

  it.each([
    ["an active lead", entity("active"), "won", { kind: "close", outcome: "won" }],
    [
      "a blocked lead: refused, its data is not accessible",
      entity("blocked"),
      "lost",
      { kind: "blocked" },
    ],
    ["a closed lead, same outcome", entity("closed", "won"), "won", { kind: "unchanged" }],
    [
      "a closed lead, other outcome",
      entity("closed", "won"),
      "lost",
      { kind: "close", outcome: "lost" },
    ],
  ] as const)("closes %s", (_, e, outcome, transition) => {
    expect(closeTransition(e, outcome)).toEqual(transition);
  });

  it.each([
    ["a closed lead is admitted again", entity("closed", "lost"), { kind: "admit" }],
    ["an active lead is left as is", entity("active"), { kind: "unchanged" }],
    ["a blocked lead is refused", entity("blocked"), { kind: "blocked" }],
  ] as const)("reopens: %s", (_, e, transition) => {
    expect(reopenTransition(e)).toEqual(transition);
  });

  it.each([
    ["active stops counting", "active", pool(4, 2)],
    ["blocked stops waiting", "blocked", pool(5, 1)],
    ["closed changes nothing", "closed", pool(5, 2)],
  ] as const)("releasing: %s", (_, status, state) => {
    expect(release(pool(5, 2, enforced), status)).toEqual({ ...state, episode: enforced });
  });
});

describe("the pool as readers see it", () => {
  it.each([
    ["ok", pool(2), 0, { state: "ok", graceEndsAt: null }],
    ["grace", pool(5, 0, grace), 0, { state: "grace", graceEndsAt: "2026-07-02T12:00:00.000Z" }],
    [
      "a lapsed grace reads as enforced",
      pool(5, 0, grace),
      GRACE_MS,
      { state: "enforced", graceEndsAt: "2026-07-02T12:00:00.000Z" },
    ],
    [
      "enforced",
      pool(5, 4, enforced),
      5 * GRACE_MS,
      { state: "enforced", graceEndsAt: "2026-07-02T12:00:00.000Z" },
    ],
  ] as const)("%s", (_, state, after, expected) => {
    expect(poolView(state, 5, T0 + after)).toEqual({
      used: state.counted,
      limit: 5,
      blocked: state.blocked,
      ...expected,
    });
  });
});
