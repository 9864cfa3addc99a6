import { mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findChromium } from "./chromium";
import { type DevServer, mintToken, removeState, startDevServer } from "./server";

// Debian's chromium (or CHROMIUM_PATH), never a downloaded browser; the flags keep it off the
// network. Without one these tests are skipped and the run says so (browser-note.ts).
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
const TABS = ["usage", "credits", "agents"] as const;

let server: DevServer;
let browser: Browser;
/** Requests any page made to somewhere other than the Worker: there must be none. */
const elsewhere: string[] = [];
const contexts: BrowserContext[] = [];

type Role = "platform" | "admin" | "service" | "viewer";

async function api(
  ws: string,
  method: string,
  path: string,
  body?: unknown,
  role: Role = "platform",
) {
  const res = await fetch(`${server.url}/v1/workspaces/${ws}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${mintToken(ws, role)}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
  // biome-ignore lint/suspicious/noExplicitAny: e2e answers are inspected loosely
  return json as any;
}

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

/** Signs in the way a person does: paste the token, press Enter. */
async function signIn(page: Page, token: string) {
  await page.goto(`${server.url}/app`);
  await page.fill("#token", token);
  await page.press("#token", "Enter");
}

/** What a person reads there: the rendered text, spaces collapsed. */
const text = async (page: Page, selector: string) =>
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person reads
  (await page.locator(selector).first().innerText()).replace(/\s+/g, " ").trim();

async function openTab(page: Page, tab: (typeof TABS)[number]) {
  await page.click(`#tab-${tab}`);
  await page.waitForSelector(`#panel-${tab} .card`);
  await page.waitForFunction(
    (t) => !document.getElementById(`panel-${t}`)?.hasAttribute("aria-busy"),
    tab,
  );
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

beforeAll(async () => {
  if (CHROMIUM.path === undefined) return;
  mkdirSync(SHOTS, { recursive: true });
  server = await startDevServer();
  browser = await chromium.launch({ executablePath: CHROMIUM.path, args: ARGS });
  // acme: Advanced × 2, one active agent allowed, a package, use on two days, a grace running.
  await api("acme", "PUT", "/test-clock", { now: "2026-07-16T09:00:00Z" });
  await api("acme", "PUT", "/subscription", {
    plan: "advanced",
    seats: 2,
    periodAnchor: "2026-07-15T00:00:00Z",
    overrides: { activeAgents: 1 },
  });
  await api("acme", "POST", "/credit-packages", {
    id: "pack-1",
    credits: 5_000,
    expiresAt: "2030-01-01T00:00:00Z",
  });
  await api(
    "acme",
    "POST",
    "/credits/consume",
    { feature: "ai_summarize", credits: 750 },
    "service",
  );
  await api("acme", "PUT", "/test-clock", { now: "2026-07-20T10:00:00Z" });
  await api("acme", "POST", "/credits/consume", { feature: "ai_rewriter", credits: 30 }, "service");
  for (const id of ["+15550001", "+15550002", "+15550003", "+15550004"]) {
    await api("acme", "POST", "/channels/whatsapp", { id }, "service");
  }
  await api("acme", "PUT", "/test-clock", { now: "2026-07-20T14:48:00Z" });
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
  if (server) removeState(server.stateDir);
});

describe.skipIf(CHROMIUM.path === undefined)("the billing page", () => {
  it("signs in with a token alone and shows every limit with what happens next", async () => {
    const page = await newPage();
    await signIn(page, mintToken("acme", "admin"));
    await page.waitForSelector('[data-usage="whatsapp"]');
    expect(await text(page, "#who-ws")).toBe("acme");
    const summary = await text(page, "#summary");
    expect(summary).toContain("Advanced plan");
    expect(summary).toContain("2 seats");
    expect(summary).toContain("Jul 15 – Aug 14, 2026");
    // The grace started when the 4th number connected (10:00); the clock is 14:48.
    const whatsapp = await text(page, '[data-usage="whatsapp"]');
    expect(whatsapp).toContain("4 of 3");
    expect(whatsapp).toContain(
      "In 19 h 12 min, 1 WhatsApp number (the earliest connected) will be disabled unless the limit is raised",
    );
    expect(await text(page, '[data-usage="leads"]')).toContain("0 of 10,000");
    expect(await text(page, '[data-usage="instagram"]')).toContain("0 of 3");
    expect(await text(page, '[data-usage="agents"]')).toContain("0 of 1");
    // 750 + 30 of 2,500 included + 5,000 package.
    expect(await text(page, '[data-usage="credits"]')).toContain("780 of 7,500");
    expect(await text(page, '[data-usage="credits"]')).toContain(
      "Not in your plan: Copilot analyst mode",
    );
    // The token is remembered: a reload opens the workspace again without asking.
    await page.reload();
    await page.waitForSelector('[data-usage="whatsapp"]');
    expect(await page.isHidden("#signin")).toBe(true);
    await shot(page, "usage-desktop");
  });

  it("edits and clears a feature's cap with the pencil, and the API has it", async () => {
    const page = await newPage();
    await signIn(page, mintToken("acme", "admin"));
    await openTab(page, "credits");
    expect(await text(page, "#credits-balance")).toContain("Monthly balance 7,500");
    expect(await text(page, "#credits-balance")).toContain("5,000 credits until Jan 1, 2030");
    expect(await text(page, "#credits-percent")).toBe("10.4%");
    const row = '#features [data-feature="ai_summarize"]';
    expect(await text(page, `${row} td[data-label="Credits used"]`)).toBe("750");
    // The pencil (its accessible name says what it edits), a value, Enter.
    await page.getByRole("button", { name: /Edit the credit limit of AI summarize/ }).click();
    await page.fill("#limit-input", "1000");
    await page.press("#limit-input", "Enter");
    await page.waitForSelector(`${row} [data-edit]`);
    // 1,000 credits at an average of 2 a request: 500 estimated requests; 750 are used, so
    // floor((1,000 − 750) / 2) = 125 are left.
    expect(await text(page, `${row} td[data-label="Estimated requests"]`)).toBe("500");
    expect(await text(page, `${row} td[data-label="Requests left"]`)).toBe("125");
    expect(await text(page, `${row} td[data-label="Credit limit"]`)).toContain("1,000");
    const capOf = async () =>
      (
        (await api("acme", "GET", "/credits")).features as {
          feature: string;
          creditLimit: number | null;
        }[]
      ).find((f) => f.feature === "ai_summarize")?.creditLimit;
    expect(await capOf()).toBe(1_000);
    // Below what it used: the feature is marked stopped.
    await page.click(`${row} [data-edit]`);
    await page.fill("#limit-input", "500");
    await page.click('.limit-form button[type="submit"]');
    await expect.poll(() => text(page, row)).toContain("Stopped");
    expect(await capOf()).toBe(500);
    // Not a number: said in words, nothing sent.
    await page.click(`${row} [data-edit]`);
    await page.fill("#limit-input", "lots");
    await page.press("#limit-input", "Enter");
    expect(await text(page, "#limit-error")).toMatch(/whole number/);
    expect(await capOf()).toBe(500);
    // Cleared: no limit again, keyboard only.
    await page.fill("#limit-input", "");
    await page.press("#limit-input", "Enter");
    await page.waitForSelector(`${row} [data-edit]`);
    expect(await text(page, `${row} td[data-label="Credit limit"]`)).toContain("No limit");
    expect(await text(page, `${row} td[data-label="Requests left"]`)).toBe("—");
    expect(await text(page, row)).not.toContain("Stopped");
    expect(await capOf()).toBeNull();
    // A feature the plan lacks is marked and cannot be edited.
    const analyst = '#features [data-feature="copilot_analyst"]';
    expect(await text(page, analyst)).toContain("Not in your plan");
    expect(await page.locator(`${analyst} button`).count()).toBe(0);
    // Names for people, never the raw ids.
    const features = await text(page, "#features");
    expect(features).toContain("AI rewriter");
    expect(features).not.toMatch(/ai_rewriter|copilot_analyst/);
    await shot(page, "credits-desktop");
  });

  it("draws the period's daily credit use stacked by feature", async () => {
    const page = await newPage();
    await signIn(page, mintToken("acme", "viewer"));
    await openTab(page, "credits");
    const bars = page.locator("#credit-chart svg g[data-day]");
    // Jul 15 through Jul 20: six days drawn, the rest of the 31 marked as to come.
    expect(await bars.count()).toBe(6);
    expect(await page.locator("#credit-chart svg rect.slot").count()).toBe(25);
    const heights = await page.$$eval("#credit-chart svg rect[data-feature]", (rects) =>
      rects.map((r) => [
        r.parentElement?.getAttribute("data-day"),
        r.getAttribute("data-feature"),
        Number(r.getAttribute("height")),
      ]),
    );
    // A scale of 1,000 a day in a 100-unit-high chart: 750 → 75, 30 → 3.
    expect(heights).toEqual([
      ["2026-07-16T00:00:00.000Z", "ai_summarize", 75],
      ["2026-07-20T00:00:00.000Z", "ai_rewriter", 3],
    ]);
    expect(await text(page, "#credit-chart .legend")).toBe("AI rewriter AI summarize");
    expect(await text(page, "#credit-chart")).toContain("780 credits this period");
    // The same figures as a table, for whoever cannot see the chart.
    await page.click("#credit-chart summary");
    expect(await text(page, "#credit-chart table")).toContain("Jul 16 750");
  });

  it("lists past periods' statements with a CSV download, for viewers too", async () => {
    // A workspace with two closed periods: spent in the first, then two renewals.
    await api("hist", "PUT", "/test-clock", { now: "2026-05-20T09:00:00Z" });
    await api("hist", "PUT", "/subscription", {
      plan: "pro",
      seats: 2,
      periodAnchor: "2026-05-15T00:00:00Z",
    });
    await api("hist", "POST", "/credits/consume", { feature: "copilot", credits: 40 }, "service");
    await api("hist", "PUT", "/test-clock", { now: "2026-07-20T09:00:00Z" });
    const page = await newPage();
    await signIn(page, mintToken("hist", "viewer"));
    await openTab(page, "credits");
    const rows = page.locator("#statements tbody tr");
    expect(await rows.count()).toBe(2);
    const first = '#statements tr[data-period="2026-05-15T00:00:00.000Z"]';
    expect(await text(page, `${first} td[data-column="used"]`)).toBe("40");
    expect(await text(page, `${first} td[data-column="plan"]`)).toContain("× 2");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`${first} button`),
    ]);
    expect(download.suggestedFilename()).toBe("statement-2026-05-15.csv");
    const path = await download.path();
    const csv = (await import("node:fs")).readFileSync(path, "utf8");
    expect(csv).toContain("credits,used,40");
    expect(csv).toContain("used_by_feature,copilot,40");
  });

  it("creates agents by name, activates past the limit, and shows the refusal with the upgrade", async () => {
    const page = await newPage();
    await signIn(page, mintToken("acme", "admin"));
    await openTab(page, "agents");
    for (const name of ["Support", "Sales team"]) {
      await page.fill("#agent-name", name);
      await page.press("#agent-name", "Enter");
      await expect.poll(() => text(page, "#agents")).toContain(name);
    }
    const ids = await page.$$eval("[data-agent]", (items) =>
      items.map((i) => i.getAttribute("data-agent")),
    );
    expect(ids).toEqual([
      expect.stringMatching(/^support-[a-z0-9]{6}$/),
      expect.stringMatching(/^sales-team-[a-z0-9]{6}$/),
    ]);
    await page.getByRole("button", { name: "Activate Support" }).click();
    await page.waitForSelector(`[data-agent="${ids[0]}"] [data-state="active"]`);
    await page.getByRole("button", { name: "Activate Sales team" }).click();
    const notice = page.locator("#notice");
    await expect.poll(() => notice.textContent()).toMatch(/Not activated/);
    expect(await notice.getAttribute("role")).toBe("alert");
    const refusal = await text(page, "#notice");
    expect(refusal).toMatch(/Active agents are at the Advanced plan.s limit \(1 of 1\)/);
    expect(await text(page, "#notice [data-upgrade]")).toMatch(/^Upgrade to \w+/);
    // The way out is said once: one upgrade, one "deactivate".
    expect(refusal.match(/upgrade/gi)).toHaveLength(1);
    expect(refusal.match(/deactivate/gi)).toHaveLength(1);
    expect(await text(page, `[data-agent="${ids[1]}"] .pill`)).toBe("Draft");
    await shot(page, "agents-refused-desktop");
    // Deactivating one frees the slot at once.
    await page.getByRole("button", { name: "Deactivate Support" }).click();
    await page.waitForSelector(`[data-agent="${ids[0]}"] [data-state="offline"]`);
    await page.getByRole("button", { name: "Activate Sales team" }).click();
    await page.waitForSelector(`[data-agent="${ids[1]}"] [data-state="active"]`);
    expect((await api("acme", "GET", "/usage")).agents).toMatchObject({ used: 1, total: 2 });
  });

  it("shows each agent's credits and sets its cap; the pool and each top-up apart", async () => {
    const ws = "budgets-page";
    await api(ws, "PUT", "/test-clock", { now: "2026-07-20T00:00:00Z" });
    await api(ws, "PUT", "/subscription", {
      plan: "pro",
      seats: 1,
      periodAnchor: "2026-07-15T00:00:00Z",
      overrides: { aiCreditsPerSeat: 100 },
    });
    await api(ws, "POST", "/agents", { id: "bot", name: "Bot" });
    await api(ws, "POST", "/credit-topups", {
      id: "top-1",
      credits: 50,
      expiresAt: "2026-12-31T00:00:00Z",
    });
    const spend = { feature: "ai_rewriter", credits: 120, agentId: "bot" };
    expect(await api(ws, "POST", "/credits/consume", spend, "service")).toMatchObject({
      allowed: true,
      topupRemaining: 30,
    });
    const page = await newPage();
    await signIn(page, mintToken(ws, "admin"));
    await openTab(page, "agents");
    const row = '[data-agent-credits="bot"]';
    expect(await text(page, row)).toMatch(/^bot 120 No cap/);
    await page.getByRole("spinbutton", { name: "Credit cap for bot" }).fill("150");
    await page.locator(`${row} button`).click();
    await expect.poll(() => text(page, row)).toMatch(/^bot 120 150 30/);
    expect((await api(ws, "GET", "/credits")).agents).toEqual([
      expect.objectContaining({ agentId: "bot", creditLimit: 150, creditsUsed: 120 }),
    ]);
    await shot(page, "agent-credits-desktop");
    await openTab(page, "credits");
    expect(await text(page, "#credits-left")).toBe("This period's pool 0 Top-ups 30 In all 30");
    expect(await text(page, '[data-topup="top-1"]')).toMatch(/^30 of 50 credits left, until/);
  });

  it("says in words when the credits run out at this rate, and something calm when they last", async () => {
    const setUp = async (ws: string, spent: number) => {
      await api(ws, "PUT", "/test-clock", { now: "2026-07-15T12:00:00Z" });
      await api(ws, "PUT", "/subscription", {
        plan: "pro",
        seats: 1,
        periodAnchor: "2026-07-15T00:00:00Z",
        overrides: { aiCreditsPerSeat: 1_000 },
      });
      await api(ws, "POST", "/credits/consume", { feature: "copilot", credits: spent }, "service");
      await api(ws, "PUT", "/test-clock", { now: "2026-07-16T00:00:00Z" });
    };
    // 40 credits on the first day, 960 left: 24 days on, Aug 9, six days before Aug 15.
    await setUp("forecast-page", 40);
    await setUp("forecast-calm", 10);
    const page = await newPage();
    await signIn(page, mintToken("forecast-page", "viewer"));
    await openTab(page, "credits");
    expect(await text(page, "#credits-forecast")).toBe(
      "At this rate your credits run out on Aug 9, six days before they renew (40 credits a day over the period so far). Add credits before AI features stop.",
    );
    const calm = await newPage();
    await signIn(calm, mintToken("forecast-calm", "viewer"));
    await openTab(calm, "credits");
    expect(await text(calm, "#credits-forecast")).toBe(
      "At this rate your credits last until they renew on Aug 15 (10 credits a day over the period so far).",
    );
  });

  it("a workspace with no plan after one with a plan shows no stale figures", async () => {
    const page = await newPage();
    await signIn(page, mintToken("*", "platform"));
    // A platform token opens every workspace: the page asks which, once, as a question (in the
    // field's own hint, not in red as if something were wrong).
    await page.waitForSelector("#ws-field", { state: "visible" });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("ws");
    expect(await text(page, "#signin-error")).toBe("");
    expect((await text(page, "#signin")).match(/opens every workspace/g)).toHaveLength(1);
    const colour = (selector: string) => page.$eval(selector, (el) => getComputedStyle(el).color);
    expect(await colour("#ws-hint")).toBe(await colour("#token-hint"));
    expect(await page.locator("#signin [role=alert]:not(:empty)").count()).toBe(0);
    await shot(page, "signin-platform-desktop");
    await page.fill("#ws", "acme");
    await page.press("#ws", "Enter");
    await openTab(page, "credits");
    expect(await text(page, "#summary")).toContain("Advanced plan");
    expect(page.url()).toContain("?ws=acme");
    await page.fill("#switch-ws", "nothing-here");
    await page.press("#switch-ws", "Enter");
    await page.waitForSelector("#panel-credits [data-problem]");
    const main = await text(page, "#app");
    expect(main).toContain("This workspace has no plan yet");
    expect(main).toContain("The billing system sets it");
    expect(main).not.toMatch(/PUT|subscription/);
    expect(await text(page, "#summary")).toBe("");
    expect(main).not.toMatch(/Advanced|7,500|AI summarize/);
    for (const tab of TABS) {
      expect(
        await page
          .locator(
            `#panel-${tab} [data-usage], #panel-${tab} [data-feature], #panel-${tab} [data-agent]`,
          )
          .count(),
      ).toBe(0);
    }
    await shot(page, "no-plan-desktop");
    // A ?ws= link opens that workspace for a platform user.
    await page.goto(`${server.url}/app?ws=acme#usage`);
    await page.waitForSelector('[data-usage="leads"]');
    expect(await text(page, "#who-ws")).toBe("acme");
    // Signing out forgets the token.
    await page.click("#sign-out");
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.isVisible("#signin")).toBe(true);
    expect(await text(page, "#app")).not.toMatch(/Advanced|WhatsApp/);
  });

  it("says what went wrong with a refused token, from the service's reason", async () => {
    const page = await newPage(PHONE);
    const refusedFor = async (token: string) => {
      await signIn(page, token);
      await expect.poll(() => text(page, "#signin-error")).not.toBe("");
      expect(await page.isHidden("#app")).toBe(true);
      return text(page, "#signin-error");
    };
    // Each message says what went wrong, never what the pasted text looks like.
    const cut = await refusedFor("not-a-token");
    expect(cut).toMatch(
      /^This token was not accepted\. It couldn't be read .*part of it may be missing/,
    );
    expect(cut).not.toMatch(/three parts|dots|looks? like/);
    await shot(page, "signin-refused-phone");
    expect(await refusedFor(mintToken("acme", "admin", -60))).toMatch(/It has expired\./);
    // Well formed, but signed with another secret: the API refuses it as bad_signature.
    const forged = `${mintToken("acme", "admin").split(".").slice(0, 2).join(".")}.c2lnbmF0dXJl`;
    expect(await refusedFor(forged)).toMatch(/It wasn't issued by this service/);
    expect(await text(page, "#summary")).toBe("");
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it("says why when the token is refused while the page is open, and clears the figures", async () => {
    const page = await newPage();
    await signIn(page, mintToken("acme", "admin", 3));
    await page.waitForSelector('[data-usage="leads"]');
    await new Promise((r) => setTimeout(r, 3_500));
    await page.click("#tab-credits");
    await page.waitForSelector("#panel-credits [data-problem]");
    expect(await text(page, "#panel-credits [data-problem]")).toMatch(
      /Your token was not accepted It has expired\..*sign in with the new token/,
    );
    expect(await text(page, "#summary")).toBe("");
    expect(await page.locator("[data-usage], [data-feature]").count()).toBe(0);
  });

  it("shows viewers and services everything, read-only", async () => {
    for (const role of ["viewer", "service"] as const) {
      const page = await newPage();
      await signIn(page, mintToken("acme", role));
      await page.waitForSelector('[data-usage="leads"]');
      expect(await text(page, "#who-role")).toMatch(/read only/);
      await openTab(page, "credits");
      expect(await page.locator("#features [data-feature]").count()).toBe(7);
      // Nothing that changes anything: the receipt lookup's and the ledger's buttons only read.
      expect(
        await page
          .locator("#panel-credits button:not(#receipt-lookup button, #ledger button)")
          .count(),
      ).toBe(0);
      expect(await page.locator("#receipt-lookup button").count()).toBe(1);
      expect(await page.locator("#ledger button").count()).toBeGreaterThan(0);
      await openTab(page, "agents");
      expect(await page.locator("#panel-agents [data-agent]").count()).toBeGreaterThan(0);
      expect(await page.locator("#panel-agents button, #panel-agents input").count()).toBe(0);
    }
  });

  it("fits 360 px on every tab and a desktop, with named controls and a working keyboard", async () => {
    for (const [label, viewport] of [
      ["phone", PHONE],
      ["desktop", DESKTOP],
    ] as const) {
      const page = await newPage(viewport);
      await page.goto(`${server.url}/app`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        viewport.width,
      );
      await shot(page, `signin-${label}`);
      await signIn(page, mintToken("acme", "admin"));
      await page.waitForSelector('[data-usage="leads"]');
      // The tabs answer the arrow keys.
      await page.focus("#tab-usage");
      for (const tab of TABS) {
        if (tab !== "usage") {
          await page.focus(`#tab-${TABS[TABS.indexOf(tab) - 1]}`);
          await page.keyboard.press("ArrowRight");
        }
        await page.waitForSelector(`#panel-${tab} .card`);
        await page.waitForFunction(
          (t) => !document.getElementById(`panel-${t}`)?.hasAttribute("aria-busy"),
          tab,
        );
        expect(await page.getAttribute(`#tab-${tab}`, "aria-selected")).toBe("true");
        expect(await page.evaluate(() => document.activeElement?.id)).toBe(`tab-${tab}`);
        if (label === "phone") {
          // Every control is a tap target of at least 44 px, the pencils included.
          const small = await page.$$eval(
            `#panel-${tab} button, #panel-${tab} input, #panel-${tab} summary, [role=tab], #who button`,
            (els) =>
              els
                .filter((el) => (el as HTMLElement).offsetParent !== null)
                .map(
                  (el) => [el.outerHTML.slice(0, 60), el.getBoundingClientRect().height] as const,
                )
                .filter(([, height]) => height < 44),
          );
          expect(small, `${tab} on a ${label}`).toEqual([]);
        }
        if (tab === "credits") {
          const pencil = page.locator('#features [data-feature="copilot"] [data-edit]');
          expect((await pencil.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);
          // Opening the editor moves no column: every cell keeps its left edge and width, and
          // the rows above the edited one stay where they were.
          const boxes = () =>
            page.$$eval("#features td, .features th", (cells) =>
              // The header row is not drawn on a phone (each cell carries its label).
              cells
                .filter((c) => c.getClientRects().length > 0)
                .map((c) => {
                  const r = c.getBoundingClientRect();
                  const row = c.closest("tr")?.getAttribute("data-feature") ?? "head";
                  // Page coordinates: clicking the pencil may scroll.
                  return {
                    row,
                    x: Math.round(r.x + scrollX),
                    width: Math.round(r.width),
                    y: Math.round(r.y + scrollY),
                  };
                }),
            );
          const before = await boxes();
          await pencil.click();
          await page.waitForSelector("#limit-input");
          const after = await boxes();
          expect(after.map(({ row, x, width }) => ({ row, x, width }))).toEqual(
            before.map(({ row, x, width }) => ({ row, x, width })),
          );
          const above = (list: typeof before) =>
            list.slice(
              0,
              list.findIndex((b) => b.row === "copilot"),
            );
          expect(above(after)).toEqual(above(before));
        }
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(width, `${tab} on a ${label}`).toBeLessThanOrEqual(viewport.width);
        const unnamed = await page.evaluate(() =>
          Array.from(
            document.querySelectorAll("button, input, a, [role=tab], [role=progressbar], summary"),
          )
            .filter((el) => (el as HTMLElement).offsetParent !== null)
            .filter((el) => {
              const labelled = el.getAttribute("aria-labelledby");
              const name =
                el.getAttribute("aria-label") ??
                (labelled ? document.getElementById(labelled)?.textContent : null) ??
                ((el as HTMLInputElement).labels?.[0]?.textContent || el.textContent);
              return !name?.trim();
            })
            .map((el) => el.outerHTML.slice(0, 80)),
        );
        expect(unnamed, `${tab} on a ${label}`).toEqual([]);
        await shot(page, `${tab}-${label}`);
        if (tab === "credits") {
          // Escape leaves the cap editor and gives the focus back to its pencil.
          await page.keyboard.press("Escape");
          expect(await page.evaluate(() => document.activeElement?.getAttribute("data-edit"))).toBe(
            "copilot",
          );
        }
      }
    }
  });

  it("says what is blocked once a grace has ended", async () => {
    // Base with 2 leads a seat: 3 leads and 2 numbers on 1 seat, then the graces end.
    await api("lapsed", "PUT", "/test-clock", { now: "2026-07-20T10:00:00Z" });
    await api("lapsed", "PUT", "/subscription", {
      plan: "base",
      seats: 1,
      periodAnchor: "2026-07-15T00:00:00Z",
      overrides: { leadsPerSeat: 2 },
    });
    for (const id of ["l1", "l2", "l3"]) {
      await api("lapsed", "POST", "/entities/leads", { id }, "service");
    }
    for (const id of ["+15550001", "+15550002"]) {
      await api("lapsed", "POST", "/channels/whatsapp", { id }, "service");
    }
    const page = await newPage(PHONE);
    await signIn(page, mintToken("lapsed", "viewer"));
    await page.waitForSelector('[data-usage="leads"]');
    expect(await text(page, '[data-usage="leads"]')).toContain(
      "In 1 d, 1 lead (the most recently created) will be blocked unless the limit is raised",
    );
    await api("lapsed", "PUT", "/test-clock", { now: "2026-07-21T11:00:00Z" });
    await page.reload();
    await page.waitForSelector('[data-usage="leads"] .consequence');
    const leads = await text(page, '[data-usage="leads"]');
    expect(leads).toContain("Over the limit");
    expect(leads).toContain("New leads are blocked");
    // How many existing leads the enforcement blocked is the API's figure, said in words.
    const { blocked } = (await api("lapsed", "GET", "/usage")).leads;
    if (blocked > 0) {
      expect(leads).toContain(
        `${blocked} lead${blocked === 1 ? "" : "s"} can be seen but their data, chats and automations can't be opened`,
      );
    }
    const whatsapp = await text(page, '[data-usage="whatsapp"]');
    expect(whatsapp).toContain("1 WhatsApp number disabled when the grace ended");
    // Base has no AI agents: said so, not a 0 of 0 bar.
    expect(await text(page, '[data-usage="agents"]')).toContain(
      "AI agents are not included in the Base plan",
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await shot(page, "usage-enforced-phone");
  });

  it("serves the reference and the home page offline too, at 360 px", async () => {
    const page = await newPage(PHONE);
    for (const path of ["/docs", "/"]) {
      await page.goto(`${server.url}${path}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        PHONE.width,
      );
    }
    await page.goto(`${server.url}/docs#op-get-v1-workspaces-ws-credits-daily`);
    expect(await text(page, "#op-get-v1-workspaces-ws-credits-daily")).toContain("days");
    // The reference is long: the screen that opened at the operation is what to look at.
    await page.screenshot({ path: `${SHOTS}/docs-phone.png` });
  });

  it("shows a spend made over HTTP within a second, in place, saying it is live and as of which sequence", async () => {
    const ws = "live-page";
    await api(ws, "PUT", "/test-clock", { now: "2026-07-20T10:00:00Z" });
    await api(ws, "PUT", "/subscription", {
      plan: "advanced",
      seats: 2,
      periodAnchor: "2026-07-15T00:00:00Z",
    });
    const page = await newPage();
    await signIn(page, mintToken(ws, "viewer"));
    await page.waitForSelector('[data-usage="credits"]');
    await page.waitForSelector('#live[data-live="live"]');
    expect(await text(page, '[data-usage="credits"]')).toContain("0 of 2,500");
    expect(await text(page, "#live")).toContain("Live");
    expect(await text(page, "#live")).toContain("Figures as of ledger #0");
    // The push alone redraws the card: no reload, and no call to the API.
    let loads = 0;
    page.on("request", (r) => {
      if (r.url().includes(`/workspaces/${ws}/`)) loads++;
    });
    const spent = await api(
      ws,
      "POST",
      "/credits/consume",
      { feature: "ai_rewriter", credits: 40 },
      "service",
    );
    const sentAt = Date.now();
    await page.waitForFunction(
      () => document.querySelector('[data-usage="credits"]')?.textContent?.includes("40 of 2,500"),
      null,
      { timeout: 1_000 },
    );
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(await text(page, "#live")).toContain(`Figures as of ledger #${spent.receipt.seq}`);
    expect(loads).toBe(0);
    expect(page.url()).toContain("#usage");

    // The credits tab follows too.
    await openTab(page, "credits");
    const again = await api(
      ws,
      "POST",
      "/credits/consume",
      { feature: "ai_rewriter", credits: 2 },
      "service",
    );
    await expect
      .poll(
        () => text(page, '#features [data-feature="ai_rewriter"] td[data-label="Credits used"]'),
        {
          timeout: 1_000,
        },
      )
      .toBe("42");
    expect(await text(page, "#live")).toContain(`Figures as of ledger #${again.receipt.seq}`);
    // The daily chart agrees with every other figure: today's bar took the spends.
    expect(await text(page, "#panel-credits")).toContain("42 credits this period");

    // The sequence links to its entry: support reads what a receipt was decided on.
    await page.click(`#live [data-receipt="${again.receipt.seq}"]`);
    await page.waitForSelector(`[data-receipt-entry="${again.receipt.seq}"]`);
    const entry = await text(page, "#receipt-result");
    expect(entry).toContain("Spent (consume)");
    expect(entry).toContain("AI rewriter");
    expect(entry).toContain("By service");
    // Typed: the first spend's receipt, and one not written yet.
    await page.fill("#receipt-seq", String(spent.receipt.seq));
    await page.press("#receipt-seq", "Enter");
    await page.waitForSelector(`[data-receipt-entry="${spent.receipt.seq}"]`);
    expect(await text(page, "#receipt-result")).toContain("Credits 40");
    await page.fill("#receipt-seq", "99");
    await page.press("#receipt-seq", "Enter");
    await expect
      .poll(() => text(page, "#receipt-result"))
      .toBe("There is no receipt #99 in this workspace yet.");
    await page.fill("#receipt-seq", String(again.receipt.seq));
    await page.press("#receipt-seq", "Enter");
    await page.waitForSelector(`[data-receipt-entry="${again.receipt.seq}"]`);
  });

  it("opens a receipt from a link alone, and says where an archived one went", async () => {
    const ws = "receipt-link";
    await api(ws, "PUT", "/test-clock", { now: "2026-07-20T10:00:00Z" });
    await api(ws, "PUT", "/subscription", {
      plan: "advanced",
      seats: 2,
      periodAnchor: "2026-07-15T00:00:00Z",
    });
    await api(ws, "POST", "/credits/consume", { feature: "ai_summarize", credits: 6 }, "service");
    const page = await newPage();
    await page.goto(`${server.url}/app?receipt=1#credits`);
    await page.fill("#token", mintToken(ws, "viewer"));
    await page.press("#token", "Enter");
    await page.waitForSelector('[data-receipt-entry="1"]');
    expect(await text(page, "#receipt-result")).toContain("AI summarize");
    // Past the ledger's 62 days the entry is archived: the page says where to read it.
    await api(ws, "PUT", "/test-clock", { now: "2027-09-01T00:00:00Z" });
    await page.fill("#receipt-seq", "1");
    await page.press("#receipt-seq", "Enter");
    await expect
      .poll(() => text(page, "#receipt-result"))
      .toContain(`was archived: find it with GET /v1/workspaces/${ws}/archives`);
  });

  it("polls and says so when the live socket is refused, then reconnects with backoff", async () => {
    const ws = "live-refused";
    await api(ws, "PUT", "/test-clock", { now: "2026-07-20T10:00:00Z" });
    await api(ws, "PUT", "/subscription", {
      plan: "advanced",
      seats: 2,
      periodAnchor: "2026-07-15T00:00:00Z",
    });
    const page = await newPage();
    // The first socket is closed as a full workspace closes it; the next one goes through.
    let tries = 0;
    await page.routeWebSocket(/\/live\?ticket=/, (socket) => {
      tries++;
      if (tries === 1) socket.close({ code: 1013, reason: "full" });
      else socket.connectToServer();
    });
    await signIn(page, mintToken(ws, "viewer"));
    await page.waitForSelector('#live[data-live="polling"]');
    const polling = await text(page, "#live");
    expect(polling).toContain("Polling every 15 s");
    expect(polling).toContain("too many people are watching this workspace live");
    expect(polling).toContain("trying again in 1 s");
    await page.waitForSelector('#live[data-live="live"]', { timeout: 5_000 });
    expect(tries).toBe(2);
    await api(ws, "POST", "/credits/consume", { feature: "ai_rewriter", credits: 5 }, "service");
    await expect
      .poll(() => text(page, '[data-usage="credits"]'), { timeout: 1_000 })
      .toContain("5 of 2,500");
  });

  it("lists the ledger, pages and filters it, and follows a refusal's receipt to its entry", async () => {
    const ws = "ledger-page";
    await api(ws, "PUT", "/test-clock", { now: "2026-07-20T10:00:00Z" });
    await api(ws, "PUT", "/subscription", {
      plan: "advanced",
      seats: 1,
      periodAnchor: "2026-07-15T00:00:00Z",
    });
    await api(ws, "POST", "/agents", { id: "bot-1", name: "Bot one" }, "admin");
    await api(ws, "POST", "/credit-topups", {
      id: "topup-1",
      credits: 100,
      expiresAt: "2026-12-31T00:00:00Z",
    });
    const spend = (body: Record<string, unknown>) =>
      api(ws, "POST", "/credits/consume", body, "service");
    for (let i = 0; i < 28; i++) await spend({ feature: "ai_rewriter", credits: 1 });
    const byAgent = await spend({ feature: "ai_summarize", credits: 5, agentId: "bot-1" });
    // The pool has 1,217 left: the top-up pays the other 33.
    const big = await spend({ feature: "ai_agent", credits: 1_250 });
    expect(big.receipt.seq).toBe(30);
    const refused = await spend({ feature: "ai_agent", credits: 500 });
    expect(refused).toMatchObject({ allowed: false, reason: "insufficient_credits" });
    const seq = refused.receipt.seq;
    expect(seq).toBe(30);

    for (const [label, viewport] of [
      ["phone", PHONE],
      ["desktop", DESKTOP],
    ] as const) {
      // Support follows the refusal's receipt: the link opens the ledger at its entry, marked.
      const page = await newPage(viewport);
      await page.goto(`${server.url}/app?receipt=${seq}#credits`);
      await page.fill("#token", mintToken(ws, "viewer"));
      await page.press("#token", "Enter");
      const marked = page.locator(`#ledger tr.marked[data-ledger-entry="${seq}"]`);
      await marked.waitFor();
      expect(await marked.getAttribute("aria-current")).toBe("true");
      await expect.poll(() => marked.isVisible()).toBe(true);
      expect(
        await page.evaluate((s) => {
          const r = document.querySelector(`[data-ledger-entry="${s}"]`)?.getBoundingClientRect();
          return r !== undefined && r.top >= 0 && r.bottom <= innerHeight;
        }, seq),
      ).toBe(true);
      const row = await text(page, `[data-ledger-entry="${seq}"]`);
      expect(row).toContain("#30");
      expect(row).toContain("AI agent");
      expect(row).toContain("1,250");
      expect(row).toContain("Pool 1,217, Top-up topup-1 33");
      expect(await text(page, "[data-ledger-marked]")).toContain(
        "Receipt #30 is marked. An answer that carries it was decided against this entry",
      );
      await page.waitForSelector(`[data-receipt-entry="${seq}"]`);
      expect(await text(page, "#receipt-result")).toContain("Spent (consume)");
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        viewport.width,
      );
      await shot(page, `ledger-receipt-${label}`);
      // What the person sees on opening the link: the marked entry, scrolled to.
      await page.screenshot({ path: `${SHOTS}/ledger-receipt-${label}-view.png` });

      // Newest first, 25 a page; Older, then Newer, then back to the newest.
      const ids = () =>
        page.$$eval("#ledger [data-ledger-entry]", (rows) =>
          rows.map((r) => Number(r.getAttribute("data-ledger-entry"))),
        );
      await page.click('#ledger [data-page="older"]');
      await expect.poll(ids).toEqual([5, 4, 3, 2, 1]);
      expect(await page.locator("#ledger [data-page=older]").count()).toBe(0);
      await page.click('#ledger [data-page="newer"]');
      await expect.poll(ids).toEqual(Array.from({ length: 25 }, (_, i) => 30 - i));
      await page.click('#ledger [data-page="older"]');
      await expect.poll(ids).toEqual([5, 4, 3, 2, 1]);
      await page.click('#ledger [data-page="newest"]');
      await expect.poll(ids).toEqual(Array.from({ length: 25 }, (_, i) => 30 - i));

      // Filtered by agent, then by feature and kind.
      await page.fill("#ledger-agent", "bot-1");
      await page.click("#ledger button[type=submit]");
      await expect.poll(ids).toEqual([byAgent.receipt.seq]);
      expect(await text(page, `[data-ledger-entry="${byAgent.receipt.seq}"]`)).toContain("bot-1");
      await page.fill("#ledger-agent", "");
      await page.selectOption("#ledger-feature", "ai_rewriter");
      await page.selectOption("#ledger-kind", "hold");
      await page.click("#ledger button[type=submit]");
      await page.waitForSelector("#ledger [data-ledger-empty]");
      expect(await text(page, "#ledger-body")).toBe("No entries match these filters here.");
      await page.selectOption("#ledger-kind", "debit");
      await page.click("#ledger button[type=submit]");
      await expect.poll(async () => (await ids()).length).toBe(25);
      await shot(page, `ledger-filtered-${label}`);

      // A receipt link in the table shows its entry, marks its row, and is the link to send.
      await page.click('#ledger [data-receipt-link="10"]');
      await page.waitForSelector('[data-receipt-entry="10"]');
      await page.waitForSelector('#ledger tr.marked[data-ledger-entry="10"]');
      expect(page.url()).toContain("receipt=10#credits");
      expect(await text(page, "#receipt-result")).toContain("AI rewriter");

      // A receipt typed in the lookup opens the ledger there, without the filters.
      await page.fill("#receipt-seq", String(byAgent.receipt.seq));
      await page.press("#receipt-seq", "Enter");
      await page.waitForSelector(`#ledger tr.marked[data-ledger-entry="${byAgent.receipt.seq}"]`);
      expect((await ids())[0]).toBe(byAgent.receipt.seq);
      expect(await page.inputValue("#ledger-feature")).toBe("");
    }
  });

  it("made no request to anything but the Worker", () => {
    expect(elsewhere).toEqual([]);
  });
});
