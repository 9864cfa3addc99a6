import { mkdirSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, mintToken, removeState, startDevServer } from "./server";

// Debian's chromium, never a downloaded browser; flags keep it off this machine's closed network.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = "test-results";

let server: DevServer;
let browser: Browser;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/v1/workspaces/acme${path}`, {
    method,
    headers: {
      authorization: `Bearer ${mintToken("acme", "platform")}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
  return res.json();
}

async function openPage(role = "admin"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${server.url}/app`);
  await page.fill("#ws", "acme");
  await page.fill("#token", mintToken("acme", role));
  await page.click("#load");
  return page;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startDevServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  await api("PUT", "/subscription", {
    plan: "advanced",
    seats: 2,
    periodAnchor: "2026-07-15T00:00:00Z",
    overrides: { activeAgents: 1 },
  });
  await api("POST", "/channels/whatsapp", { id: "+15550001" });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) removeState(server.stateDir);
});

describe("billing page", () => {
  it("shows every limit with its use on the Usage tab", async () => {
    const page = await openPage("viewer");
    const whatsapp = page.locator('[data-usage="whatsapp"]');
    await expect.poll(() => whatsapp.textContent()).toContain("1 / 3");
    expect(await page.locator('[data-usage="leads"]').textContent()).toContain("10,000");
    expect(await page.locator('[data-usage="agents"]').textContent()).toContain("0 / 1");
    await page.screenshot({ path: `${SHOTS}/billing-usage.png`, fullPage: true });
    await page.close();
  });

  it("creates and enables agents, and explains a refused activation", async () => {
    const page = await openPage("admin");
    await page.click('nav button[data-tab="agents"]');
    const agents: [string, string][] = [
      ["support", "Support"],
      ["sales", "Sales"],
    ];
    for (const [id, name] of agents) {
      await page.fill("#agent-id", id);
      await page.fill("#agent-name", name);
      await page.click('#agent-form button[type="submit"]');
      await page.waitForSelector(`[data-agent="${id}"]`);
    }
    await page.click('[data-activate="support"]');
    await page.waitForSelector('[data-agent="support"] .pill.active');
    await page.click('[data-activate="sales"]');
    const notice = page.locator("#notice");
    await expect.poll(() => notice.textContent()).toMatch(/limit/i);
    expect(await notice.isVisible()).toBe(true);
    expect(await page.locator('[data-agent="sales"] .pill').textContent()).toBe("draft");
    await page.screenshot({ path: `${SHOTS}/billing-agents.png`, fullPage: true });
    // Turning one off frees the slot at once.
    await page.click('[data-deactivate="support"]');
    await page.waitForSelector('[data-agent="support"] .pill.offline');
    await page.click('[data-activate="sales"]');
    await page.waitForSelector('[data-agent="sales"] .pill.active');
    const usage = await api("GET", "/usage");
    expect(usage.agents).toMatchObject({ used: 1, total: 2 });
    await page.close();
  });

  it("shows the monthly balance and lets an admin cap a feature on Manage credits", async () => {
    await api("POST", "/credit-packages", {
      id: "pack-1",
      credits: 5_000,
      expiresAt: "2030-01-01T00:00:00Z",
    });
    await fetch(`${server.url}/v1/workspaces/acme/credits/consume`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${mintToken("acme", "service")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ feature: "ai_summarize", credits: 750 }),
    });
    const page = await openPage("admin");
    await page.click('nav button[data-tab="credits"]');
    const balance = page.locator("#credits-balance");
    // Advanced × 2 seats = 2,500 included + a 5,000 package = 7,500.
    await expect.poll(() => balance.textContent()).toContain("7,500");
    expect(await balance.textContent()).toContain("5,000");
    expect(await page.locator("#credits-percent").textContent()).toBe("10.0% used");
    const row = page.locator('[data-feature="ai_summarize"]');
    expect(await row.textContent()).toContain("750");
    await row.locator("input").fill("1000");
    await row.locator("button").click();
    // 1,000 credits at an average of 2 per request: 500 estimated requests.
    await expect
      .poll(() => page.locator('[data-feature="ai_summarize"]').textContent())
      .toContain("500");
    const credits = (await api("GET", "/credits")) as {
      features: { feature: string; creditLimit: number | null }[];
    };
    expect(credits.features.find((f) => f.feature === "ai_summarize")?.creditLimit).toBe(1_000);
    await page.screenshot({ path: `${SHOTS}/billing-credits.png`, fullPage: true });
    await page.close();
  });

  it("tells a reader with a wrong token what went wrong", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/app`);
    await page.fill("#ws", "acme");
    await page.fill("#token", "not-a-token");
    await page.click("#load");
    await expect.poll(() => page.locator("#status").textContent()).toMatch(/token/i);
    await page.close();
  });
});
