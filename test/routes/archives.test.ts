import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/policy/time";
import { LEDGER_RAW_MS } from "../../src/workspace/archive";
import { decode, sha256Hex } from "../../src/workspace/archive/files";
import { api, call, freezeTime, freshWorkspace, token } from "../support/helpers";

/** GET archives and GET archives/{key} (issue #19): the manifests, paged, and the files. */

const T0 = Date.parse("2026-03-02T10:00:00Z");

async function archivedWorkspace(days: number) {
  const ws = freshWorkspace("arr");
  const stub = env.WORKSPACE.getByName(ws);
  await stub.setTestClock(T0);
  await stub.putSubscription(
    ws,
    { plan: "pro", seats: 3, periodAnchor: "2026-03-01T00:00:00Z" },
    { role: "platform" },
  );
  for (let d = 0; d < days; d++) {
    await stub.setTestClock(T0 + d * DAY_MS);
    await stub.consumeCredits({ feature: "copilot", credits: d + 1 }, { role: "service" });
  }
  await stub.setTestClock(T0 + days * DAY_MS + LEDGER_RAW_MS);
  return ws;
}

describe("the archive routes", () => {
  freezeTime();

  it("lists the manifests by pages and serves each file, its bytes as the manifest says", async () => {
    const ws = await archivedWorkspace(3);
    const first = await call("GET", `${api(ws)}/archives?kind=ledger&limit=2`);
    expect(first.status).toBe(200);
    expect(first.json.archives).toHaveLength(2);
    expect(first.json.hasMore).toBe(true);
    const second = await call(
      "GET",
      `${api(ws)}/archives?kind=ledger&after=${first.json.nextCursor}`,
    );
    expect(second.json).toMatchObject({ hasMore: false, nextCursor: null });
    const manifests = [...first.json.archives, ...second.json.archives];
    expect(manifests.map((m: { day: string }) => m.day)).toEqual([
      "2026-03-02",
      "2026-03-03",
      "2026-03-04",
    ]);
    let credits = 0;
    for (const m of manifests) {
      const r = await SELF.fetch(`https://quota.test${api(ws)}/archives/${m.key}`, {
        headers: { authorization: `Bearer ${await token(ws, "platform")}` },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("application/gzip");
      const bytes = new Uint8Array(await r.arrayBuffer());
      expect(await sha256Hex(bytes)).toBe(m.sha256);
      const rows = (await decode(bytes)) as { seq: number; credits: number }[];
      expect(rows.map((e) => e.seq)).toEqual([m.firstSeq]);
      credits += rows[0]?.credits ?? 0;
    }
    expect(credits).toBe(1 + 2 + 3);
  });

  it.each([
    ["admin", 403, "forbidden"],
    ["viewer", 403, "forbidden"],
    ["service", 403, "forbidden"],
  ] as const)("refuses a %s token with %i", async (role, status, code) => {
    const ws = freshWorkspace("arr");
    const r = await call("GET", `${api(ws)}/archives`, { role });
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.details).toEqual({ reason: "role_not_allowed" });
  });

  it("refuses another workspace's platform token, a malformed key and a missing file", async () => {
    const ws = freshWorkspace("arr");
    const other = await call("GET", `${api(ws)}/archives`, {
      token: await token("other", "platform"),
    });
    expect(other.status).toBe(403);
    const bad = await call("GET", `${api(ws)}/archives/..%2Fsecrets`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe("key");
    const badAfter = await call("GET", `${api(ws)}/archives?after=nope`);
    expect(badAfter.status).toBe(400);
    const missing = await call(
      "GET",
      `${api(ws)}/archives/ledger-2026-01-01-000000000001.ndjson.gz`,
    );
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("not_found");
  });
});
