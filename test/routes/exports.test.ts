import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { writeDueExports } from "../../src/cron/exports";
import { EXPORT_DELAY_MS, exportName } from "../../src/policy/exports";
import { DAY_MS } from "../../src/policy/time";
import { sha256Hex } from "../../src/workspace/archive/files";
import { exportStatements } from "../../src/workspace/fleetExports";
import { call, token } from "../support/helpers";

/** Every file due in one run (the cron writes one a minute). */
const ALL = { filesPerRun: 6 };

/**
 * GET /v1/exports and GET /v1/exports/{key} (issue #19 §3): the finance files and their
 * corrections, listed by pages whose cursor is bound to its query, streamed; platform tokens for
 * every workspace only.
 */

const DAY = Date.parse("2032-02-20T00:00:00Z");
const DAYS = [DAY - 2 * DAY_MS, DAY - DAY_MS, DAY];
const names = (kind: "credits" | "statements") => DAYS.map((d) => exportName(kind, d));
/** The last day's credits file has a correction: a report landed after it. */
const CORRECTION = exportName("credits", DAY, 1);
const creditsListed = [...names("credits"), CORRECTION];

beforeAll(async () => {
  await env.FLEET?.prepare(
    "INSERT INTO fleet_credits_daily (day, workspace_id, feature, credits) VALUES (?, 'acme', 'copilot', 12)",
  )
    .bind(DAY)
    .run();
  const run = await writeDueExports(env, DAY + DAY_MS + EXPORT_DELAY_MS, ALL);
  expect(run.written).toHaveLength(6);
  const db = env.FLEET as D1Database;
  await db.batch(exportStatements(db, "acme", 1, [[DAY, "ai_summarize", 5]], []));
  const late = await writeDueExports(env, DAY + DAY_MS + EXPORT_DELAY_MS + 60_000, ALL);
  expect(late.written).toEqual([CORRECTION]);
});

const list = (query: string) => call("GET", `/v1/exports${query}`);

describe("the finance export routes", () => {
  it("list every file by pages, each kind's days in order, the cursor bound to its kind", async () => {
    const all = await list("");
    expect(all.status).toBe(200);
    expect(all.json.exports.map((e: { key: string }) => e.key)).toEqual([
      ...creditsListed,
      ...names("statements"),
    ]);
    expect(all.json).toMatchObject({ hasMore: false, nextCursor: null });

    const keys: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 4; page++) {
      const r = await list(`?kind=credits&limit=1${after === null ? "" : `&after=${after}`}`);
      expect(r.status).toBe(200);
      keys.push(...r.json.exports.map((e: { key: string }) => e.key));
      after = r.json.nextCursor;
      expect(r.json.hasMore).toBe(page < 3);
    }
    expect(keys).toEqual(creditsListed);
    expect(after).toBeNull();

    const first = await list("?kind=credits&limit=1");
    const cursor = first.json.nextCursor as string;
    const other = await list(`?kind=statements&after=${cursor}`);
    expect(other.status).toBe(400);
    expect(other.json.error.details[0]).toMatchObject({
      path: "after",
      message: expect.stringContaining("another query"),
    });
    // Another position under the same tag: the tag no longer matches what it signs.
    const tag = cursor.split(".")[1];
    const moved = btoa(
      JSON.stringify({ v: 1, q: "exports?kind=credits", k: "credits-2099-01-01.csv" }),
    )
      .replace(/=+$/, "")
      .replaceAll("+", "-")
      .replaceAll("/", "_");
    for (const bad of [`${moved}.${tag}`, "0", "nope.nope"]) {
      const r = await list(`?kind=credits&after=${bad}`);
      expect(r.status).toBe(400);
      expect(r.json.error.details[0].path).toBe("after");
    }
  });

  it("stream a file, its bytes as listed", async () => {
    const listed = await list("?kind=credits");
    const file = listed.json.exports.at(-2);
    expect(file).toMatchObject({
      kind: "credits",
      day: "2032-02-20",
      correction: 0,
      correctsKey: null,
      rows: 1,
    });
    const r = await SELF.fetch(`https://quota.test/v1/exports/${file.key}`, {
      headers: { authorization: `Bearer ${await token("*", "platform")}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(await sha256Hex(bytes)).toBe(file.sha256);
    expect(r.headers.get("x-export-sha256")).toBe(file.sha256);
    expect(new TextDecoder().decode(bytes)).toBe(
      "workspace,day,feature,credits\r\nacme,2032-02-20,copilot,12\r\n",
    );
  });

  it("list and stream a correction: the late delta, naming the file it corrects", async () => {
    const listed = await list("?kind=credits");
    const file = listed.json.exports.at(-1);
    expect(file).toMatchObject({
      key: CORRECTION,
      kind: "credits",
      day: "2032-02-20",
      correction: 1,
      correctsKey: "credits-2032-02-20.csv",
      rows: 1,
    });
    const r = await SELF.fetch(`https://quota.test/v1/exports/${CORRECTION}`, {
      headers: { authorization: `Bearer ${await token("*", "platform")}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-disposition")).toBe(`attachment; filename="${CORRECTION}"`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(r.headers.get("x-export-sha256")).toBe(await sha256Hex(bytes));
    expect(new TextDecoder().decode(bytes)).toBe(
      "workspace,day,feature,credits\r\nacme,2032-02-20,ai_summarize,5\r\n",
    );
  });

  it("refuse keys outside the exports, and files never written", async () => {
    for (const key of [
      "..%2Farchive%2Facme",
      "credits-2032-02-20.csv.json",
      "manifests",
      // A correction's manifest key, a path through it, and names no correction has.
      "credits-2032-02-20.csv%2Fcorrection-000001",
      "..%2Fmanifests%2Fcredits-2032-02-20.csv%2Fcorrection-000001",
      "credits-2032-02-20.correction-1.csv%2F..%2F..%2Farchive",
      "credits-2032-02-20.correction-0.csv",
      "credits-2032-02-20.correction-01.csv",
      "credits-2032-02-20.correction-1234567.csv",
      "credits-2032-02-20.correction-.csv",
    ]) {
      const r = await call("GET", `/v1/exports/${key}`);
      expect(r.status).toBe(400);
      expect(r.json.error.details[0].path).toBe("key");
    }
    for (const key of ["credits-2001-01-01.csv", "credits-2032-02-20.correction-2.csv"]) {
      const missing = await call("GET", `/v1/exports/${key}`);
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe("not_found");
    }
  });

  it.each([
    ["admin", "acme", "role_not_allowed"],
    ["viewer", "acme", "role_not_allowed"],
    ["service", "acme", "role_not_allowed"],
    ["platform", "acme", "not_every_workspace"],
  ] as const)("refuse a %s token for %s with 403 %s", async (role, ws, reason) => {
    for (const path of ["/v1/exports", `/v1/exports/${names("credits")[2]}`]) {
      const r = await call("GET", path, { token: await token(ws, role) });
      expect(r.status).toBe(403);
      expect(r.json.error).toMatchObject({ code: "forbidden", details: { reason } });
    }
  });
});
