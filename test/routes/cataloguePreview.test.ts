import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BUILT_IN_CATALOGUE } from "../../src/policy/catalogue";
import { GRACE_MS } from "../../src/policy/episode";
import type { CallMeta } from "../../src/workspace/context";
import { call, freshWorkspace } from "../support/helpers";

/**
 * The impact preview equals what happens when the version applies (docs/catalogue.md): a few
 * hundred workspaces in known states are indexed, previewed, then switched by their clocks past
 * the version's instant and its grace, and every count is compared: leads, contacts, WhatsApp
 * numbers and Instagram accounts (some grandfathered, connected before the version's
 * `connectedBefore`, so never disabled; both kinds from one table), agents, credits; and, per
 * limit, which workspaces were over it already under the version in force and which the version
 * pushes over.
 */

const WORKSPACES = 200;
const BEFORE = Date.parse("2033-02-20T00:00:00.000Z");
const EFFECTIVE = "2033-03-01T00:00:00.000Z";
const platform: CallMeta = { role: "platform" };
const admin: CallMeta = { role: "admin" };
const stub = (ws: string) => env.WORKSPACE.getByName(ws);

const draft = (() => {
  const v = structuredClone(BUILT_IN_CATALOGUE);
  v.plans.advanced.leadsPerSeat = 20;
  v.plans.advanced.contactsAndCompaniesPerSeat = 25;
  // 1 channel of each kind a seat instead of at least 3: never more than before, for any seats.
  v.plans.advanced.channels = { kind: "perSeat" };
  v.plans.advanced.activeAgents = 1;
  v.plans.advanced.aiCreditsPerSeat = 1_000;
  v.plans.base.leadsPerSeat = 15;
  v.plans.base.contactsAndCompaniesPerSeat = 20;
  v.plans.base.aiCreditsPerSeat = 900;
  return { plans: v.plans, featureCosts: v.featureCosts };
})();

/**
 * Both channel kinds, each with its own pattern over the workspaces: how many are connected, and
 * how many of those (up to 2) were connected before the grandfathering date.
 */
const CHANNELS = [
  {
    kind: "whatsapp",
    count: (i: number) => i % 5,
    grandfathered: (i: number, count: number) => (i % 3 === 0 ? Math.min(count, 2) : 0),
    id: (n: number) => `+5511900000${n}`,
  },
  {
    kind: "instagram",
    count: (i: number) => (i * 3) % 5,
    grandfathered: (i: number, count: number) => (i % 3 === 1 ? Math.min(count, 2) : 0),
    id: (n: number) => `ig-account-${n}`,
  },
] as const;

/** What the preview splits per limit: over it already under the version in force. */
const SPLIT = ["leads", "contactsAndCompanies", ...CHANNELS.map((c) => c.kind)] as const;
type Split = (typeof SPLIT)[number];

interface Known {
  ws: string;
  pinned: boolean;
  agentsBefore: number;
  /** Over the limit before the version applies (under the version in force), per limit. */
  overBefore: Record<Split, boolean>;
}

const GRANDFATHERED_AT = "2026-01-01T00:00:00.000Z";

async function workspaceNo(i: number): Promise<Known> {
  const ws = freshWorkspace(`prev-${i}`);
  const s = stub(ws);
  const plan = i % 4 === 3 ? "base" : "advanced";
  const pinned = i % 10 === 0;
  expect((await s.setTestClock(BEFORE)).ok).toBe(true);
  const sub = await s.putSubscription(
    ws,
    {
      plan,
      seats: 1 + (i % 3),
      periodAnchor: "2033-02-15T00:00:00.000Z",
      // Every fifth base subscription is legacy: it keeps its one active agent.
      subscribedAt: i % 20 === 3 ? "2026-01-01T00:00:00.000Z" : undefined,
      catalogueVersion: pinned ? "2026-06" : undefined,
      // A few negotiated limits: over them under either version (the preview shows them apart).
      overrides: i % 13 === 5 ? { leadsPerSeat: 10, contactsAndCompaniesPerSeat: 12 } : undefined,
    },
    platform,
  );
  expect(sub.ok).toBe(true);
  const leads = (i * 7) % 61;
  if (leads > 0) {
    const ids = Array.from({ length: leads }, (_, n) => `l${n}`);
    expect((await s.createEntities("leads", ids, admin)).ok).toBe(true);
  }
  const contacts = (i * 11) % 53;
  if (contacts > 0) {
    const ids = Array.from({ length: contacts }, (_, n) => `c${n}`);
    expect((await s.createEntities("contacts", ids, admin)).ok).toBe(true);
  }
  // 0 to 4 channels of each kind, up to 2 of them imported as connected before the
  // grandfathering date (counted, never disabled); Base allows one a seat, so some are over
  // already.
  for (const c of CHANNELS) {
    const count = c.count(i);
    const grandfathered = c.grandfathered(i, count);
    const channels = Array.from({ length: count }, (_, n) => ({
      id: c.id(n),
      ...(n < grandfathered && { connectedAt: GRANDFATHERED_AT }),
    }));
    if (count > 0) expect((await s.connectChannels(c.kind, channels, platform)).ok).toBe(true);
  }
  let agentsBefore = 0;
  for (let a = 0; a < (plan === "advanced" ? i % 4 : 0); a++) {
    await s.createAgent({ id: `a${a}`, name: `Agent ${a}` }, admin);
    const on = await s.activateAgent(`a${a}`, admin);
    if (on.ok && on.value.active) agentsBefore++;
  }
  expect(await s.reportToFleet()).toBe(true);
  const usage = await s.usage();
  if (!usage.ok) throw new Error("no subscription");
  const u = usage.value;
  return {
    ws,
    pinned,
    agentsBefore,
    overBefore: {
      leads: u.leads.used > u.leads.limit,
      contactsAndCompanies: u.contactsAndCompanies.used > u.contactsAndCompanies.limit,
      whatsapp: u.whatsapp.toDisable > 0,
      instagram: u.instagram.toDisable > 0,
    },
  };
}

describe("the impact preview", () => {
  it(`equals what applying the version does, on ${WORKSPACES} workspaces`, async () => {
    const known: Known[] = [];
    for (let i = 0; i < WORKSPACES; i++) known.push(await workspaceNo(i));
    expect((await call("PUT", "/v1/catalogue/versions/v2033-03", { body: draft })).status).toBe(
      200,
    );
    const preview = await call("POST", "/v1/catalogue/versions/v2033-03/preview", {
      body: { asOf: EFFECTIVE },
    });
    expect(preview.status).toBe(200);
    const csv = await call("POST", "/v1/catalogue/versions/v2033-03/preview?format=csv", {
      body: { asOf: EFFECTIVE },
    });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.text.trim().split("\n")).toHaveLength(WORKSPACES + 1);

    const published = await call("POST", "/v1/catalogue/versions/v2033-03/publish", {
      body: { effectiveAt: EFFECTIVE },
    });
    expect(published.status).toBe(200);

    const counts = () => ({
      workspacesOver: 0,
      totalOver: 0,
      alreadyOver: { workspaces: 0, total: 0 },
      pushedOver: { workspaces: 0, total: 0 },
    });
    const actual = {
      leads: counts(),
      contactsAndCompanies: counts(),
      whatsapp: counts(),
      instagram: counts(),
      agents: { workspacesOver: 0, totalOver: 0 },
    };
    const add = (k: Split, known: Known, n: number) => {
      if (n <= 0) return;
      const a = actual[k];
      a.workspacesOver++;
      a.totalOver += n;
      const split = known.overBefore[k] ? a.alreadyOver : a.pushedOver;
      split.workspaces++;
      split.total += n;
    };
    const plans: Record<
      string,
      { workspaces: number; creditsGained: number; creditsLost: number }
    > = {};
    let pinned = 0;
    for (const k of known) {
      const s = stub(k.ws);
      const before = await s.getSubscription();
      expect((await s.setTestClock(Date.parse(EFFECTIVE) + GRACE_MS + 60_000)).ok).toBe(true);
      const usage = await s.usage();
      const after = await s.getSubscription();
      if (!usage.ok || !after.ok || !before.ok) throw new Error("no subscription");
      if (k.pinned) {
        pinned++;
        expect(after.value.catalogueVersion).toBe("2026-06");
        continue;
      }
      expect(after.value.catalogueVersion).toBe("v2033-03");
      add("leads", k, usage.value.leads.blocked);
      add("contactsAndCompanies", k, usage.value.contactsAndCompanies.blocked);
      // Every channel disabled, under the old limit's grace and then the new one's: never one
      // of the grandfathered.
      for (const { kind } of CHANNELS) {
        const channel = usage.value[kind];
        add(kind, k, channel.disabled);
        expect(channel.used, `${k.ws} ${kind}`).toBeGreaterThanOrEqual(channel.grandfathered);
      }
      const offline = k.agentsBefore - usage.value.agents.used;
      if (offline > 0) {
        actual.agents.workspacesOver++;
        actual.agents.totalOver += offline;
      }
      const p = plans[after.value.plan] ?? { workspaces: 0, creditsGained: 0, creditsLost: 0 };
      plans[after.value.plan] = p;
      p.workspaces++;
      const delta = after.value.limits.includedCredits - before.value.limits.includedCredits;
      if (delta > 0) p.creditsGained += delta;
      else p.creditsLost -= delta;
    }
    const p = preview.json;
    expect([p.workspaces, p.pinned]).toEqual([WORKSPACES - pinned, pinned]);
    expect(p.limits.leads).toEqual(actual.leads);
    expect(p.limits.contactsAndCompanies).toEqual(actual.contactsAndCompanies);
    for (const { kind } of CHANNELS) expect(p.limits[kind], kind).toEqual(actual[kind]);
    expect(p.limits.agents).toMatchObject(actual.agents);
    expect(p.plans).toEqual(plans);
    // The test means something: the change hurts some and spares others.
    expect(actual.leads.workspacesOver).toBeGreaterThan(20);
    expect(actual.leads.workspacesOver).toBeLessThan(WORKSPACES - pinned);
    expect(actual.agents.workspacesOver).toBeGreaterThan(10);
    for (const k of SPLIT) {
      expect(actual[k].alreadyOver.workspaces, `${k} already over`).toBeGreaterThan(3);
      expect(actual[k].pushedOver.workspaces, `${k} pushed over`).toBeGreaterThan(3);
    }
    expect(p.mostAffected.length).toBeGreaterThan(0);
  }, 300_000);
});
