import { mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT_IN_CATALOGUE } from "../../src/policy/catalogue";
import { findChromium } from "./chromium";
import { type DevServer, mintToken, removeState, startDevServer } from "./server";

// The operator page (/ops) in Debian's chromium, against `wrangler dev` with the fleet index's
// migrations applied as `npm start` applies them, and the workspaces reporting by themselves
// (reports are automatic outside the workerd tests). Skipped without Chromium, like the billing
// page's tests (browser-note.ts).
const CHROMIUM = findChromium();
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const SHOTS = "test/e2e/screenshots";
const PHONE = { width: 360, height: 780 };
const DESKTOP = { width: 1280, height: 900 };
const T0 = Date.parse("2026-08-01T00:00:00Z");

let server: DevServer;
let browser: Browser;
const elsewhere: string[] = [];
const contexts: BrowserContext[] = [];
/** How long the last workspace's first report took to land in the index. */
let reportLatencyMs = 0;

async function api(ws: string, method: string, path: string, body?: unknown, role = "platform") {
  const res = await fetch(`${server.url}/v1/workspaces/${ws}${path}`, {
    method,
    headers: { authorization: `Bearer ${mintToken(ws, role)}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
  // biome-ignore lint/suspicious/noExplicitAny: e2e answers are inspected loosely
  return json as any;
}

async function fleet(path: string) {
  const res = await fetch(`${server.url}/v1/fleet/${path}`, {
    headers: { authorization: `Bearer ${mintToken("*", "platform")}` },
  });
  expect(res.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: e2e answers are inspected loosely
  return (await res.json()) as any;
}

const small = {
  plan: "pro",
  seats: 1,
  overrides: { leadsPerSeat: 3, whatsappNumbers: 1, aiCreditsPerSeat: 100 },
};
const at = (ms: number) => new Date(ms).toISOString();

async function newPage(viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "UTC" });
  contexts.push(context);
  const page = await context.newPage();
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) elsewhere.push(r.url());
  });
  page.on("pageerror", (e) => elsewhere.push(`page error: ${e.message}`));
  return page;
}

const text = async (page: Page, selector: string) =>
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person reads
  (await page.locator(selector).first().innerText()).replace(/\s+/g, " ").trim();

async function signIn(page: Page) {
  await page.goto(`${server.url}/ops`);
  await page.fill("#token", mintToken("*", "platform"));
  await page.press("#token", "Enter");
  await page.waitForSelector("#list-grace");
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

beforeAll(async () => {
  if (CHROMIUM.path === undefined) return;
  mkdirSync(SHOTS, { recursive: true });
  // startDevServer applies the fleet migrations, as `npm start` does.
  server = await startDevServer();
  browser = await chromium.launch({ executablePath: CHROMIUM.path, args: ARGS });

  // On the real clock, reporting by themselves: three in grace on leads, two near exhaustion.
  for (const ws of ["north-grace", "south-grace", "east-grace"]) {
    await api(ws, "PUT", "/subscription", { ...small, periodAnchor: at(Date.now() - 86_400_000) });
    await api(ws, "POST", "/entities/leads/batch", { ids: ["a", "b", "c", "d", "e"] }, "service");
  }
  for (const ws of ["busy-credits", "bigco-credits"]) {
    await api(ws, "PUT", "/subscription", { ...small, periodAnchor: at(Date.now() - 86_400_000) });
    await api(ws, "POST", "/credits/consume", { feature: "ai_rewriter", credits: 92 }, "service");
  }
  // On test clocks (reporting when the clock moves): two enforced, one refused five times.
  for (const ws of ["west-enforced", "harbor-enforced"]) {
    await api(ws, "PUT", "/test-clock", { now: at(T0) });
    await api(ws, "PUT", "/subscription", { ...small, periodAnchor: at(T0) });
    for (const id of ["+1555001", "+1555002"]) {
      await api(ws, "POST", "/channels/whatsapp", { id }, "service");
    }
    await api(ws, "PUT", "/test-clock", { now: at(T0 + 2 * 86_400_000) });
  }
  await api("refused-often", "PUT", "/test-clock", { now: at(T0) });
  await api("refused-often", "PUT", "/subscription", {
    ...small,
    plan: "advanced",
    periodAnchor: at(T0),
  });
  await api(
    "refused-often",
    "POST",
    "/credits/consume",
    { feature: "ai_rewriter", credits: 40 },
    "service",
  );
  for (let i = 0; i < 5; i++) {
    await api(
      "refused-often",
      "POST",
      "/credits/consume",
      { feature: "ai_rewriter", credits: 80 },
      "service",
    );
  }
  await api("refused-often", "PUT", "/test-clock", { now: at(T0 + 60_000) });

  const started = Date.now();
  for (;;) {
    const summary = await fleet("summary");
    if (summary.workspaces === 8) break;
    if (Date.now() - started > 90_000) throw new Error(`only ${summary.workspaces} of 8 reported`);
    await new Promise((r) => setTimeout(r, 250));
  }
  reportLatencyMs = Date.now() - started;
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
  if (server) removeState(server.stateDir);
});

describe.skipIf(CHROMIUM.path === undefined)("the operator page", () => {
  it("indexes every workspace by itself, within the minute", async () => {
    // The first report of a workspace goes at once; the 60-second bound is the rule.
    expect(reportLatencyMs).toBeLessThan(60_000);
    const summary = await fleet("summary");
    expect(summary.byPlan).toEqual({ pro: 7, advanced: 1 });
    expect(summary.limits.leads.grace).toBe(3);
    expect(summary.limits.whatsapp.enforced).toBe(2);
    expect(summary.credits["80-100"]).toBe(2);
    const decisions = await fleet("decisions");
    expect(decisions.totals.insufficient_credits).toBe(5);
  });

  it("shows the summary, the lists and the refusals chart, each workspace linking to its billing page", async () => {
    const page = await newPage();
    await signIn(page);
    expect(await text(page, "#fleet-title + .facts")).toContain("8");
    const grace = await text(page, "#list-grace");
    for (const ws of ["north-grace", "south-grace", "east-grace"]) expect(grace).toContain(ws);
    expect(grace).toContain("left");
    const enforced = await text(page, "#list-enforced");
    expect(enforced).toContain("west-enforced");
    expect(enforced).toContain("WhatsApp");
    const near = await text(page, "#list-exhaustion");
    expect(near).toContain("busy-credits");
    expect(near).toContain("92 %");
    expect(await text(page, "#list-webhooks")).toContain("No webhook delivery is waiting");
    const chart = await text(page, "#refusals");
    expect(chart).toContain("Out of credits 5");
    expect(await page.locator("#refusals svg rect").count()).toBeGreaterThan(0);
    await shot(page, "ops-desktop");

    await page.click('#list-grace a[href="/app?ws=north-grace"]');
    await page.waitForSelector("#who-ws");
    await page.waitForFunction(
      () => document.getElementById("who-ws")?.textContent === "north-grace",
    );
    expect(page.url()).toContain("/app?ws=north-grace");
    await shot(page, "ops-to-billing");
    expect(elsewhere).toEqual([]);
  });

  it("shows the catalogue: a draft's diff and preview, then publish and withdraw, each confirmed", async () => {
    const draft = structuredClone(BUILT_IN_CATALOGUE);
    draft.plans.advanced.leadsPerSeat = 1_000;
    const put = await fetch(`${server.url}/v1/catalogue/versions/e2e-next`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${mintToken("*", "platform")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ plans: draft.plans, featureCosts: draft.featureCosts }),
    });
    expect(put.status).toBe(200);
    const page = await newPage();
    const confirms: string[] = [];
    page.on("dialog", (dialog) => {
      confirms.push(dialog.message());
      void dialog.accept();
    });
    await signIn(page);
    const list = await text(page, "#catalogue");
    expect(list).toContain("2026-06");
    expect(list).toContain("In force");
    expect(list).toContain("Draft");
    await page.click('#catalogue button:has-text("e2e-next")');
    await page.waitForSelector("#catalogue-detail table.diff");
    const detail = await text(page, "#catalogue-detail");
    expect(detail).toContain("leadsPerSeat");
    expect(detail).toContain("5000");
    expect(detail).toContain("1000");
    expect(detail).toContain("workspaces affected");
    // Per limit, the workspaces over it already apart from those this version pushes over.
    expect(detail).toContain("Pushed over by this version");
    await shot(page, "ops-catalogue");
    await page.fill('#catalogue-detail input[type="datetime-local"]', "2030-01-01T00:00");
    await page.click('#catalogue-detail button[type="submit"]');
    await page.waitForFunction(() =>
      document.getElementById("catalogue")?.textContent?.includes("Scheduled"),
    );
    // Where the publish stands in the fleet: its change number and the shards (16) at it.
    expect(await text(page, "#catalogue-fan-out")).toMatch(
      /^Fan-out of change \d+: (every workspace told \(16 of 16 shards\)|\d+ of 16 shards done, \d+ telling, \d+ not yet announced)/,
    );
    await page.click('#catalogue button:has-text("e2e-next")');
    await page.click('#catalogue-detail button:has-text("Withdraw")');
    await page.waitForFunction(() =>
      document.getElementById("catalogue")?.textContent?.includes("Withdrawn"),
    );
    expect(confirms).toEqual([
      "Publish e2e-next for 2030-01-01T00:00:00Z? Every workspace switches then.",
      "Withdraw e2e-next? It will never apply.",
    ]);
  });

  it("fits a 360 px screen", async () => {
    const page = await newPage(PHONE);
    await signIn(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await shot(page, "ops-phone");
  });

  it("refuses a token that is not the platform's for every workspace", async () => {
    const page = await newPage();
    await page.goto(`${server.url}/ops`);
    await page.fill("#token", mintToken("acme", "admin"));
    await page.press("#token", "Enter");
    expect(await text(page, "#signin-error")).toContain("platform token for every workspace");
    expect(await page.locator("#app").isHidden()).toBe(true);
  });
});
