import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BUILT_IN_CATALOGUE, type CatalogueVersion } from "../../src/policy/catalogue";
import { Store } from "../../src/storage";
import { fetchSchedule } from "../../src/workspace/catalogue";
import { KnownSchedule, knownUntilOf } from "../../src/workspace/schedule";
import { api, call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * The schedule an object knows (src/workspace/schedule.ts): until when it holds, and deciding
 * from the kept schedule when the catalogue's D1 cannot be read (docs/catalogue.md, "When D1 is
 * down"): never a 5xx on a check or a consume.
 */

const MINUTE = 60_000;
const at = (iso: string) => Date.parse(iso);
const version = (id: string, effectiveAt: string): CatalogueVersion => ({
  ...structuredClone(BUILT_IN_CATALOGUE),
  id,
  effectiveAt,
});

describe("until when a schedule read holds", () => {
  const readAt = at("2030-01-01T00:00:00.000Z");
  it.each([
    ["nothing ahead: the publish lead", [], readAt + 10 * MINUTE],
    [
      "a version ahead within the lead: its instant (it may be withdrawn until then)",
      [version("v1", "2030-01-01T00:04:00.000Z")],
      readAt + 4 * MINUTE,
    ],
    [
      "a version ahead beyond the lead: the lead",
      [version("v1", "2030-01-01T00:30:00.000Z")],
      readAt + 10 * MINUTE,
    ],
    [
      "a version already applied: the lead",
      [version("v1", "2029-12-31T23:59:00.000Z")],
      readAt + 10 * MINUTE,
    ],
    [
      "the earliest of several ahead",
      [version("v1", "2030-01-01T00:07:00.000Z"), version("v2", "2030-01-01T00:02:00.000Z")],
      readAt + 2 * MINUTE,
    ],
  ])("%s", (_, ahead, until) => {
    expect(knownUntilOf([BUILT_IN_CATALOGUE, ...ahead], readAt)).toBe(until);
  });
});

/** The catalogue's D1 down: every statement throws, as a binding does when D1 is unreachable. */
const down = {
  prepare() {
    throw new Error("D1_ERROR: Network connection lost.");
  },
  batch() {
    return Promise.reject(new Error("D1_ERROR: Network connection lost."));
  },
} as unknown as D1Database;

type Bound = { env: { FLEET?: D1Database } };

/** Swaps the object's D1 binding for one that throws; answers the restore. */
async function breakD1(ws: string): Promise<() => Promise<void>> {
  const stub = env.WORKSPACE.getByName(ws);
  const real = await runInDurableObject(stub, (o) => {
    const bound = (o as unknown as Bound).env;
    const kept = bound.FLEET;
    bound.FLEET = down;
    return kept;
  });
  return async () => {
    await runInDurableObject(stub, (o) => {
      (o as unknown as Bound).env.FLEET = real;
    });
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("when the catalogue's D1 cannot be read", () => {
  const EFFECTIVE = "2036-03-01T00:00:00.000Z";

  it("decisions use the schedule the object kept, and never answer a 5xx", async () => {
    const ws = freshWorkspace("d1-down");
    await setClock(ws, "2036-02-20T00:00:00.000Z");
    const anchor = "2036-02-15T00:00:00.000Z";
    expect((await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: anchor })).status).toBe(
      200,
    );
    // A version learned before the outage (published well ahead, as every version is).
    const next = version("v2036-03", EFFECTIVE);
    next.plans.advanced.aiCreditsPerSeat = 2_000;
    await env.FLEET?.prepare(
      `INSERT INTO catalogue_versions (id, body, effective_at, published_at, created_at, updated_at)
       VALUES (?, ?, ?, 0, 0, 0)`,
    )
      .bind(next.id, JSON.stringify(next), at(EFFECTIVE))
      .run();
    await env.WORKSPACE.getByName(ws).learnCatalogue();

    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const restore = await breakD1(ws);
    try {
      const spend = (path: string) =>
        call("POST", `${api(ws)}/credits/${path}`, {
          role: "service",
          body: { feature: "copilot", credits: 1 },
        });
      // Past the kept schedule's knowledge, so every call tries D1 (test clocks run ahead of
      // the real one): the read fails, the call decides from what the object kept.
      await setClock(ws, "2036-02-29T23:59:59.999Z");
      const before = await spend("check");
      expect([before.status, before.json.monthlyBalance]).toEqual([200, 1_250]);
      await setClock(ws, EFFECTIVE);
      for (const path of ["check", "consume"]) {
        const r = await spend(path);
        expect([r.status, r.json.allowed, r.json.monthlyBalance]).toEqual([200, true, 2_000]);
      }
      const sub = await call("GET", `${api(ws)}/subscription`, { role: "viewer" });
      expect([sub.status, sub.json.catalogueVersion]).toEqual([200, "v2036-03"]);
      expect(errors).toHaveBeenCalledWith(
        expect.stringContaining("catalogue schedule unreadable"),
        expect.anything(),
      );

      // An object started during the outage resumes the schedule its storage keeps.
      const resumed = await runInDurableObject(env.WORKSPACE.getByName(ws), async (_o, state) => {
        const schedule = new KnownSchedule(
          new Store(state.storage.sql),
          () => fetchSchedule({ ...env, FLEET: down }),
          () => undefined,
        );
        await schedule.fresh(at(EFFECTIVE));
        return schedule.versions.map((v) => v.id);
      });
      expect(resumed).toEqual(["2026-06", "v2036-03"]);
    } finally {
      await restore();
    }
    // D1 back: the next read after the pause succeeds and nothing was lost.
    const after = await call("GET", `${api(ws)}/credits`, { role: "viewer" });
    expect(after.status).toBe(200);
  });
});
