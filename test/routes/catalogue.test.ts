import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BUILT_IN_CATALOGUE, type CatalogueVersion } from "../../src/policy/catalogue";
import { GRACE_MS } from "../../src/policy/episode";
import type { Memory } from "../../src/workspace/memory";
import { api, call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * The catalogue as versioned data (docs/catalogue.md): drafts, publish, withdraw, pins, and the
 * switch at exactly effectiveAt in a workspace with traffic and one without. Versions apply to
 * the whole fleet (this file's D1), so each test uses its own far-future instant; workspaces'
 * test clocks reach it, the publish lead is measured on the real clock.
 */

const draftOf = (change: (v: CatalogueVersion) => void) => {
  const v = structuredClone(BUILT_IN_CATALOGUE);
  change(v);
  return { plans: v.plans, featureCosts: v.featureCosts };
};

/** Advanced: 1,000 leads a seat instead of 5,000, 2,000 credits a seat instead of 1,250. */
const smaller = draftOf((v) => {
  v.plans.advanced.leadsPerSeat = 1_000;
  v.plans.advanced.aiCreditsPerSeat = 2_000;
  v.featureCosts.copilot = 4;
});

const put = (id: string, body: unknown) => call("PUT", `/v1/catalogue/versions/${id}`, { body });
const publish = (id: string, effectiveAt: string) =>
  call("POST", `/v1/catalogue/versions/${id}/publish`, { body: { effectiveAt } });

async function advancedWith1200Leads(ws: string, clock: string, anchor: string) {
  await setClock(ws, clock);
  expect((await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: anchor })).status).toBe(
    200,
  );
  for (const start of [0, 600]) {
    const ids = Array.from({ length: 600 }, (_, i) => `lead-${start + i}`);
    const r = await call("POST", `${api(ws)}/entities/leads/batch`, { body: { ids } });
    expect(r.status).toBe(200);
  }
}

const limitsOf = async (ws: string) =>
  (await call("GET", `${api(ws)}/subscription`, { role: "viewer" })).json;
const usageOf = async (ws: string) =>
  (await call("GET", `${api(ws)}/usage`, { role: "viewer" })).json;
const eventsOf = async (ws: string) =>
  (await call("GET", `${api(ws)}/events`, { role: "admin" })).json.events as {
    type: string;
    occurredAt: string;
    data: Record<string, unknown>;
  }[];

describe("a published version applies at exactly effectiveAt", () => {
  const EFFECTIVE = "2030-03-01T00:00:00.000Z";
  const at = Date.parse(EFFECTIVE);
  const iso = (ms: number) => new Date(ms).toISOString();

  it("with traffic: old numbers one millisecond before, new ones at it; the grace starts at it", async () => {
    const busy = freshWorkspace("cat-busy");
    const quiet = freshWorkspace("cat-quiet");
    const pinned = freshWorkspace("cat-pinned");
    for (const ws of [busy, quiet, pinned]) {
      await advancedWith1200Leads(ws, "2030-02-20T00:00:00.000Z", "2030-02-15T00:00:00.000Z");
    }
    const pin = await subscribe(pinned, {
      plan: "advanced",
      seats: 1,
      periodAnchor: "2030-02-15T00:00:00.000Z",
      catalogueVersion: "2026-06",
    });
    expect(pin.json.catalogueVersionPinned).toBe("2026-06");

    expect((await put("v2030-03", smaller)).status).toBe(200);
    const published = await publish("v2030-03", EFFECTIVE);
    expect(published.status).toBe(200);
    expect(published.json.status).toBe("scheduled");

    await setClock(busy, iso(at - 1));
    const before = await limitsOf(busy);
    expect([before.limits.leads, before.limits.includedCredits, before.catalogueVersion]).toEqual([
      5_000,
      1_250,
      "2026-06",
    ]);
    const spend = await call("POST", `${api(busy)}/credits/check`, {
      role: "service",
      body: { feature: "copilot", credits: 1 },
    });
    expect(spend.json.monthlyBalance).toBe(1_250);
    expect((await usageOf(busy)).leads.state).toBe("ok");

    const costBefore = (await call("GET", `${api(busy)}/credits`, { role: "viewer" })).json;
    expect(
      costBefore.features.find((f: { feature: string }) => f.feature === "copilot").averageCost,
    ).toBe(2);
    await setClock(busy, EFFECTIVE);
    const after = await limitsOf(busy);
    expect([after.limits.leads, after.limits.includedCredits, after.catalogueVersion]).toEqual([
      1_000,
      2_000,
      "v2030-03",
    ]);
    const spendAfter = await call("POST", `${api(busy)}/credits/check`, {
      role: "service",
      body: { feature: "copilot", credits: 1 },
    });
    expect(spendAfter.json.monthlyBalance).toBe(2_000);
    const costOf = async () =>
      (await call("GET", `${api(busy)}/credits`, { role: "viewer" })).json.features.find(
        (f: { feature: string }) => f.feature === "copilot",
      ).averageCost;
    expect(await costOf()).toBe(4);
    const leads = (await usageOf(busy)).leads;
    expect([leads.state, leads.graceEndsAt]).toEqual(["grace", iso(at + GRACE_MS)]);
    const changed = (await eventsOf(busy)).filter((e) => e.type === "limits.changed");
    expect(changed).toHaveLength(1);
    expect(changed[0]?.occurredAt).toBe(EFFECTIVE);
    expect(changed[0]?.data).toMatchObject({
      catalogueVersion: "v2030-03",
      previousVersion: "2026-06",
      before: { leads: 5_000, includedCredits: 1_250 },
      after: { leads: 1_000, includedCredits: 2_000 },
    });

    // Without traffic: first touched two days later, already enforced since the grace's end.
    await setClock(quiet, iso(at + 2 * GRACE_MS));
    const quietLeads = (await usageOf(quiet)).leads;
    expect([quietLeads.state, quietLeads.graceEndsAt, quietLeads.limit]).toEqual([
      "enforced",
      iso(at + GRACE_MS),
      1_000,
    ]);
    const blocked = await call("GET", `${api(quiet)}/entities/leads/lead-1199`, { role: "viewer" });
    expect(blocked.json.status).toBe("blocked");

    // Pinned: keeps 2026-06 whatever is in force; no event.
    await setClock(pinned, iso(at + 2 * GRACE_MS));
    const kept = await limitsOf(pinned);
    expect([kept.limits.leads, kept.catalogueVersion]).toEqual([5_000, "2026-06"]);
    expect((await eventsOf(pinned)).filter((e) => e.type === "limits.changed")).toEqual([]);
  });
});

describe("a lost fan-out changes nothing", () => {
  it("a version written to the store with no workspace told applies at its instant", async () => {
    const EFFECTIVE = "2031-03-01T00:00:00.000Z";
    const at = Date.parse(EFFECTIVE);
    const ws = freshWorkspace("cat-lost");
    await advancedWith1200Leads(ws, "2031-02-20T00:00:00.000Z", "2031-02-15T00:00:00.000Z");
    // The workspace read its schedule; then a version lands with no fan-out at all.
    await limitsOf(ws);
    // 800 leads a seat from 2031 (v2030-03 above, 1,000 a seat, is in force until then).
    const fewer = draftOf((v) => {
      v.plans.advanced.leadsPerSeat = 800;
    });
    const body = JSON.stringify({ id: "v2031-03", effectiveAt: EFFECTIVE, ...fewer });
    await env.FLEET?.prepare(
      `INSERT INTO catalogue_versions (id, body, effective_at, published_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
      .bind("v2031-03", body, at, Date.now(), Date.now(), Date.now())
      .run();
    await setClock(ws, new Date(at - 1).toISOString());
    expect((await limitsOf(ws)).limits.leads).toBe(1_000);
    await setClock(ws, EFFECTIVE);
    expect((await limitsOf(ws)).limits.leads).toBe(800);
  });
});

describe("the fan-out", () => {
  it("sets a quiet workspace's alarm within the spread after effectiveAt, not at it for all", async () => {
    const EFFECTIVE = "2034-03-01T00:00:00.000Z";
    const at = Date.parse(EFFECTIVE);
    // A fixed id (used once in this file's storage): its share of the spread is known, not 0.
    const ws = "cat-alarm-quiet";
    await setClock(ws, "2034-02-20T00:00:00.000Z");
    const anchor = "2034-02-10T00:00:00.000Z";
    expect((await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: anchor })).status).toBe(
      200,
    );
    const body = JSON.stringify({ id: "v2034-03", effectiveAt: EFFECTIVE, ...smaller });
    await env.FLEET?.prepare(
      `INSERT INTO catalogue_versions (id, body, effective_at, published_at, created_at, updated_at)
       VALUES (?, ?, ?, 0, 0, 0)`,
    )
      .bind("v2034-03", body, at)
      .run();
    const stub = env.WORKSPACE.getByName(ws);
    await stub.learnCatalogue();
    // A frozen test clock sets no real alarm (alarm.ts): the deadline the alarm would take.
    const alarm = await runInDurableObject(stub, (o) =>
      (o as unknown as { memory: Memory }).memory.settleWindow(Date.parse("2034-02-20T00:00:00Z")),
    );
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeGreaterThan(at);
    expect(alarm as number).toBeLessThan(at + 10 * 60 * 1000);
  });
});

describe("drafts, publish, withdraw", () => {
  it("a withdrawn version never applies", async () => {
    const ws = freshWorkspace("cat-withdrawn");
    await advancedWith1200Leads(ws, "2032-02-20T00:00:00.000Z", "2032-02-15T00:00:00.000Z");
    const kept = (await limitsOf(ws)).limits.leads;
    const most = draftOf((v) => {
      v.plans.advanced.leadsPerSeat = 123;
    });
    expect((await put("v2032-03", most)).status).toBe(200);
    expect((await publish("v2032-03", "2032-03-01T00:00:00.000Z")).status).toBe(200);
    const withdrawn = await call("DELETE", "/v1/catalogue/versions/v2032-03");
    expect(withdrawn.json).toEqual({ id: "v2032-03", deleted: false, withdrawn: true });
    await setClock(ws, "2032-03-02T00:00:00.000Z");
    expect((await limitsOf(ws)).limits.leads).toBe(kept);
    const listed = await call("GET", "/v1/catalogue");
    const status = (id: string) =>
      listed.json.versions.find((v: { id: string }) => v.id === id)?.status;
    expect(status("v2032-03")).toBe("withdrawn");
    expect(status("2026-06")).toBe("in_force");
    expect(status("v2030-03")).toBe("scheduled");
  });

  it.each([
    [
      "PUT the built-in version",
      "PUT",
      "/v1/catalogue/versions/2026-06",
      smaller,
      409,
      "version_locked",
    ],
    [
      "DELETE the built-in version",
      "DELETE",
      "/v1/catalogue/versions/2026-06",
      undefined,
      409,
      "version_locked",
    ],
    [
      "DELETE an unknown version",
      "DELETE",
      "/v1/catalogue/versions/nope",
      undefined,
      404,
      "not_found",
    ],
  ])("%s: %i %s", async (_, method, path, body, status, code) => {
    const r = await call(method, path, { body });
    expect([r.status, r.json.error.code]).toEqual([status, code]);
  });

  it("a version in force cannot be edited or deleted", async () => {
    const body = JSON.stringify({
      id: "v-past",
      effectiveAt: "2026-07-01T00:00:00.000Z",
      ...smaller,
    });
    await env.FLEET?.prepare(
      `INSERT INTO catalogue_versions (id, body, effective_at, published_at, created_at, updated_at)
       VALUES ('v-past', ?, ?, 0, 0, 0)`,
    )
      .bind(body, Date.parse("2026-07-01T00:00:00.000Z"))
      .run();
    const edit = await put("v-past", smaller);
    expect([edit.status, edit.json.error.code]).toEqual([409, "version_locked"]);
    const del = await call("DELETE", "/v1/catalogue/versions/v-past");
    expect([del.status, del.json.error.code]).toEqual([409, "version_locked"]);
    await env.FLEET?.prepare("DELETE FROM catalogue_versions WHERE id = 'v-past'").run();
  });

  it("publish less than 10 minutes ahead is a 400 naming effectiveAt", async () => {
    expect((await put("v-soon", smaller)).status).toBe(200);
    const soon = new Date(Date.now() + 9 * 60 * 1000).toISOString();
    const r = await publish("v-soon", soon);
    expect([r.status, r.json.error.details[0].path]).toEqual([400, "effectiveAt"]);
    expect((await call("DELETE", "/v1/catalogue/versions/v-soon")).json.deleted).toBe(true);
  });

  it.each([
    [
      "a negative number",
      draftOf((v) => {
        v.plans.base.leadsPerSeat = -1;
      }),
      "plans.base.leadsPerSeat",
    ],
    [
      "an unknown feature",
      draftOf((v) => {
        (v.plans.pro.features as string[])[0] = "telepathy";
      }),
      "plans.pro.features.0",
    ],
    [
      "a missing cost",
      { plans: smaller.plans, featureCosts: { ai_rewriter: 1 } },
      "featureCosts.ai_summarize",
    ],
  ])("an invalid draft (%s) is a 400 naming the field", async (_, body, path) => {
    const r = await put("v-bad", body);
    expect(r.status).toBe(400);
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("a pin to an unknown version is a 400 naming catalogueVersion", async () => {
    const ws = freshWorkspace("cat-pin");
    const r = await subscribe(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: "2026-07-15T00:00:00.000Z",
      catalogueVersion: "nope",
    });
    expect([r.status, r.json.error.details[0].path]).toEqual([400, "catalogueVersion"]);
  });
});
