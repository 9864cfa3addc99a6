import { describe, expect, it } from "vitest";
import { call, freshWorkspace, setClock, subscribe, token } from "../support/helpers";

/**
 * An Idempotency-Key names one call: the route and its decoded path parameters, not the bytes
 * of the URL. A client (or a proxy) that percent-encodes an id differently on a retry is still
 * retrying the same call, and gets its first answer back.
 */
async function workspaceWithReservation() {
  const ws = freshWorkspace("pct");
  await setClock(ws, "2026-07-20T00:00:00Z");
  await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
  const reserved = await call("POST", `/v1/workspaces/${ws}/credits/reservations`, {
    role: "service",
    body: { feature: "ai_agent", credits: 30 },
  });
  expect(reserved.status).toBe(200);
  const id: string = reserved.json.reservationId;
  expect(id).toMatch(/^rsv_/);
  return { ws, id };
}

const post = (path: string, key: string, body?: unknown) =>
  call("POST", path, { role: "service", body, headers: { "idempotency-key": key } });

describe("Idempotency-Key across percent-encodings of the path", () => {
  it("replays a commit retried on rsv%5F… as the commit sent on rsv_…, charging once", async () => {
    const { ws, id } = await workspaceWithReservation();
    const base = `/v1/workspaces/${ws}/credits/reservations`;
    const first = await post(`${base}/${id}/commit`, "commit-1", { credits: 25 });
    expect(first.status).toBe(200);
    const encoded = `${base}/${id.replace("_", "%5F")}/commit`;
    expect(encoded).toContain("rsv%5F");
    const retry = await post(encoded, "commit-1", { credits: 25 });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
    // Every character encoded, the workspace too: still the same call.
    const everything = [...`${id}`].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join("");
    const wsEncoded = [...ws].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join("");
    const again = await call(
      "POST",
      `/v1/workspaces/${wsEncoded}/credits/reservations/${everything}/commit`,
      {
        token: await token(ws, "service"),
        body: { credits: 25 },
        headers: { "idempotency-key": "commit-1" },
      },
    );
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    const pool = await call("GET", `/v1/workspaces/${ws}/credits`);
    expect(pool.json).toMatchObject({ used: 25, held: 0 });
  });

  it("replays a release first sent encoded when it is retried plain", async () => {
    const { ws, id } = await workspaceWithReservation();
    const base = `/v1/workspaces/${ws}/credits/reservations`;
    const first = await post(`${base}/${id.replace("_", "%5f")}/release`, "release-1");
    expect(first.status).toBe(200);
    const retry = await post(`${base}/${id}/release`, "release-1");
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
  });

  it("still refuses the key on another call: another id, another route or another body", async () => {
    const { ws, id } = await workspaceWithReservation();
    const base = `/v1/workspaces/${ws}/credits/reservations`;
    expect((await post(`${base}/${id}/commit`, "k", { credits: 5 })).status).toBe(200);
    for (const [path, body] of [
      [`${base}/${id}x/commit`, { credits: 5 }],
      [`${base}/${id}/release`, undefined],
      [`${base}/${id.replace("_", "%5F")}/commit`, { credits: 6 }],
    ] as const) {
      const r = await post(path, "k", body);
      expect(r.status, path).toBe(409);
      expect(r.json.error.code).toBe("idempotency_conflict");
    }
  });

  it("tells apart two routes with the same parameters and no body", async () => {
    const ws = freshWorkspace("pct");
    await subscribe(ws);
    const agents = `/v1/workspaces/${ws}/agents`;
    const admin = (path: string, key: string, body?: unknown) =>
      call("POST", path, { role: "admin", body, headers: { "idempotency-key": key } });
    expect((await admin(agents, "create", { id: "a1", name: "Ana" })).status).toBe(200);
    expect((await admin(`${agents}/a1/activate`, "same")).status).toBe(200);
    const other = await admin(`${agents}/a1/deactivate`, "same");
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe("idempotency_conflict");
  });
});
