import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ok } from "../../src/outcome";
import type { WorkspaceObject } from "../../src/workspace/object";
import { advanceTimeTo, call, freezeTime, freshWorkspace } from "../support/helpers";

const body = (seats: number) => ({ plan: "pro", seats, periodAnchor: "2026-07-15T00:00:00.000Z" });

describe("Idempotency-Key", () => {
  freezeTime();
  it("replays the first answer byte for byte and changes nothing", async () => {
    const ws = freshWorkspace();
    const path = `/v1/workspaces/${ws}/subscription`;
    const first = await call("PUT", path, { body: body(2), headers: { "idempotency-key": "k1" } });
    expect(first.status).toBe(200);
    // Later, so a replay that ran the call again would answer another updatedAt.
    advanceTimeTo(Date.now() + 5);
    // Someone else changes the subscription in between; the replay must not undo it.
    await call("PUT", path, { body: body(7) });
    const replay = await call("PUT", path, { body: body(2), headers: { "idempotency-key": "k1" } });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await call("GET", path)).json.seats).toBe(7);
  });

  it("treats the same body with its keys in another order as the same request", async () => {
    const ws = freshWorkspace();
    const path = `/v1/workspaces/${ws}/subscription`;
    const headers = { "idempotency-key": "order" };
    const first = await call("PUT", path, { body: body(2), headers });
    const reordered = await call("PUT", path, {
      rawBody: '{"periodAnchor":"2026-07-15T00:00:00.000Z","seats":2,"plan":"pro"}',
      headers: { ...headers, "content-type": "application/json" },
    });
    expect(reordered.text).toBe(first.text);
  });

  it("answers the same key with a different body with 409 and changes nothing", async () => {
    const ws = freshWorkspace();
    const path = `/v1/workspaces/${ws}/subscription`;
    await call("PUT", path, { body: body(2), headers: { "idempotency-key": "k2" } });
    const conflict = await call("PUT", path, {
      body: body(4),
      headers: { "idempotency-key": "k2" },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe("idempotency_conflict");
    expect((await call("GET", path)).json.seats).toBe(2);
  });

  it("answers concurrent duplicates with one execution", async () => {
    const ws = freshWorkspace();
    const path = `/v1/workspaces/${ws}/subscription`;
    const replies = await Promise.all(
      Array.from({ length: 25 }, () =>
        call("PUT", path, { body: body(3), headers: { "idempotency-key": "same" } }),
      ),
    );
    expect(new Set(replies.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
  });

  it("runs the operation once inside the object, however many duplicates arrive", async () => {
    const stub = env.WORKSPACE.getByName(freshWorkspace());
    await runInDurableObject(stub, async (instance: WorkspaceObject) => {
      let runs = 0;
      const mutate = (
        instance as unknown as {
          mutate: (meta: object, op: () => unknown) => Promise<unknown>;
        }
      ).mutate.bind(instance);
      const meta = { role: "service", idempotencyKey: "dup", fingerprint: "f" };
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => mutate(meta, () => ok({ run: ++runs }))),
      );
      expect(runs).toBe(1);
      expect(answers.every((a) => (a as { value: { run: number } }).value.run === 1)).toBe(true);
    });
  });

  it("rejects a malformed Idempotency-Key with 400 naming the header", async () => {
    const ws = freshWorkspace();
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      body: body(1),
      headers: { "idempotency-key": "x".repeat(256) },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.details[0].path).toBe("Idempotency-Key");
  });

  it("scopes keys to one workspace", async () => {
    const a = freshWorkspace();
    const b = freshWorkspace();
    const headers = { "idempotency-key": "shared" };
    await call("PUT", `/v1/workspaces/${a}/subscription`, { body: body(2), headers });
    const other = await call("PUT", `/v1/workspaces/${b}/subscription`, { body: body(5), headers });
    expect(other.status).toBe(200);
    expect(other.json.seats).toBe(5);
  });
});
