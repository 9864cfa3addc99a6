import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/api";
import { preflight } from "../../src/preflight";
import { setup } from "../support/credits";
import { freshWorkspace, token } from "../support/helpers";

/**
 * The fast lane: credits/check and credits/consume are answered before the router when plainly
 * valid (src/preflight.ts); everything else is handed to the full app with its body intact.
 * Either way the client gets the app's answer: the same status, every header (the request id
 * included: each request sends a `cf-ray`, which both take as its id) and the same body.
 */

const app = createApp();
const viaApp = (request: Request) => app.fetch(request, env, createExecutionContext());

interface Options {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  query?: string;
}

async function request(ws: string, action: string, opts: Options = {}) {
  const body = opts.body ?? JSON.stringify({ feature: "copilot", credits: 3 });
  const headers: Record<string, string> = {
    authorization: `Bearer ${await token(ws, "service")}`,
    "content-type": "application/json",
    "content-length": String(new TextEncoder().encode(body).length),
    "cf-ray": "8e0f6f3b5c1a2d4e-AMS",
    ...opts.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === "") delete headers[k];
  return () =>
    new Request(`https://quota.test/v1/workspaces/${ws}/credits/${action}${opts.query ?? ""}`, {
      method: opts.method ?? "POST",
      headers,
      ...(opts.method === "GET" ? {} : { body }),
    });
}

const json = async (r: Response) => ({
  status: r.status,
  // Every header, not only the content type: a header only one way sends is a difference.
  headers: Object.fromEntries(r.headers),
  // biome-ignore lint/suspicious/noExplicitAny: answers of several shapes
  body: (await r.json()) as any,
});

describe("the fast lane", () => {
  it("answers a plainly valid check and consume itself, as the app would", async () => {
    const ws = freshWorkspace("pf");
    await setup(ws);
    const check = await request(ws, "check");
    const fast = await preflight(check(), env);
    expect(fast).toBeInstanceOf(Response);
    expect(await json(fast as Response)).toEqual(await json(await viaApp(check())));

    const consume = await request(ws, "consume");
    const first = await preflight(consume(), env);
    expect(first).toBeInstanceOf(Response);
    const a = await json(first as Response);
    const b = await json(await viaApp(consume()));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.headers).toEqual(b.headers);
    expect(a.headers["x-request-id"]).toBe("8e0f6f3b5c1a2d4e-AMS");
    expect(Object.keys(a.body)).toEqual(Object.keys(b.body));
    expect([a.body.used, b.body.used]).toEqual([3, 6]);
  });

  it("answers a refusal and an unknown workspace as the app would", async () => {
    const ws = freshWorkspace("pf");
    await setup(ws);
    const big = await request(ws, "check", {
      body: JSON.stringify({ feature: "copilot", credits: 1_000_000 }),
    });
    const refused = await preflight(big(), env);
    expect(refused).toBeInstanceOf(Response);
    expect(await json(refused as Response)).toEqual(await json(await viaApp(big())));
    const none = await request(freshWorkspace("pf-none"), "consume");
    const missing = await preflight(none(), env);
    expect(missing).toBeInstanceOf(Response);
    expect(await json(missing as Response)).toEqual(await json(await viaApp(none())));
    expect((missing as Response).status).toBe(404);
  });

  it("hands everything else to the app, body intact", async () => {
    const ws = freshWorkspace("pf");
    await setup(ws);
    const other = freshWorkspace("pf-other");
    const cases: [string, Options][] = [
      ["no token", { headers: { authorization: "" } }],
      ["a bad token", { headers: { authorization: "Bearer abc.def.ghi" } }],
      [
        "another workspace's token",
        { headers: { authorization: `Bearer ${await token(other, "service")}` } },
      ],
      ["a viewer", { headers: { authorization: `Bearer ${await token(ws, "viewer")}` } }],
      ["an Idempotency-Key", { headers: { "idempotency-key": "k-1" } }],
      ["a bad Idempotency-Key", { headers: { "idempotency-key": "x".repeat(256) } }],
      ["text/plain", { headers: { "content-type": "text/plain" } }],
      ["no length", { headers: { "content-length": "" } }],
      ["malformed JSON", { body: '{"feature": "copilot", ' }],
      ["a refused field", { body: JSON.stringify({ feature: "copilot", credits: -1 }) }],
      ["an unknown field", { body: JSON.stringify({ feature: "copilot", credits: 1, x: 1 }) }],
      ["a query string", { query: "?x=1" }],
    ];
    for (const [what, opts] of cases) {
      const make = await request(ws, "check", opts);
      const handed = await preflight(make(), env);
      expect(handed, what).toBeInstanceOf(Request);
      // The app answers the handed-over request exactly as it answers the original.
      expect(await json(await viaApp(handed as Request)), what).toEqual(
        await json(await viaApp(make())),
      );
    }
    const get = await request(ws, "check", { method: "GET" });
    expect(await preflight(get(), env)).toBeInstanceOf(Request);
  });

  it("answers a fault of the object as the app would: 503, Retry-After, the request id", async () => {
    const ws = freshWorkspace("pf");
    await setup(ws);
    const check = await request(ws, "check");
    // The object throws as an overloaded one does (src/errors.ts#objectFault), both ways in.
    const overloaded = Object.assign(new Error("Durable Object is overloaded."), {
      overloaded: true,
    });
    const failing = {
      ...env,
      WORKSPACE: {
        getByName: () => ({
          checkCredits: () => Promise.reject(overloaded),
          checkCreditsJson: () => Promise.reject(overloaded),
        }),
      },
    } as unknown as typeof env;
    // Both ways in log the fault (the operator's line); asserted here instead of printed.
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const fast = await preflight(check(), failing);
    expect(fast).toBeInstanceOf(Response);
    const viaFailingApp = await app.fetch(check(), failing, createExecutionContext());
    expect(logged.mock.calls.map((c) => c[0])).toEqual([
      "workspace object overloaded",
      "workspace object overloaded",
    ]);
    logged.mockRestore();
    const a = await json(fast as Response);
    expect(a).toEqual(await json(viaFailingApp));
    expect(a.status).toBe(503);
    expect(a.body.error.requestId).toBe("8e0f6f3b5c1a2d4e-AMS");
  });

  it("sends a fresh UUID as the request id when no cf-ray came, a different one each time", async () => {
    const ws = freshWorkspace("pf");
    await setup(ws);
    const check = await request(ws, "check", { headers: { "cf-ray": "" } });
    const fast = (await preflight(check(), env)) as Response;
    const full = await viaApp(check());
    const ids = [fast.headers.get("x-request-id"), full.headers.get("x-request-id")];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});

/**
 * Content-Type spellings (docs/api.md, "Requests"): the fast lane and the full app decide with
 * one function (src/mediaType.ts), RFC 9110's media-type grammar. Add any new spelling here: the
 * test holds both ways in to the same answer, and a refused spelling to no debit.
 */
const SPELLINGS: [spelling: string, accepted: boolean][] = [
  ["application/json", true],
  ["Application/JSON", true],
  ["application/json; charset=utf-8", true],
  ["application/json;charset=UTF-8", true],
  ['application/json; charset="utf-8"', true],
  ["application/vnd.acme+json", true],
  // Blanks (SP or HTAB) around `;` are OWS; an empty parameter is allowed (RFC 9110 §5.6.6).
  ["application/json ; charset=utf-8", true],
  ["application/json\t;charset=utf-8", true],
  ["application/json;", true],
  ["application/json;;", true],
  ["application/json;charset=utf-8;", true],
  ["application/json ;  ; charset=utf-8 ;", true],
  // A parameter needs a name, `=` and a value (a token or a quoted string).
  ["application/json;charset", false],
  ["application/json; charset=", false],
  ["application/json;=utf-8", false],
  ['application/json; charset="utf-8', false],
  ["application/json charset=utf-8", false],
  ["application/json, text/plain", false],
  ["application/jsonx", false],
  ["application/+json", false],
  ["text/json", false],
  ["text/plain", false],
];

describe("Content-Type: one decision for the fast lane and the full app", () => {
  it.each(SPELLINGS)("%j (accepted: %s)", async (spelling, accepted) => {
    // Two workspaces alike, one per way in, so each answer can be compared with the other.
    const fastWs = freshWorkspace("pf-ct");
    const appWs = freshWorkspace("pf-ct");
    await setup(fastWs);
    await setup(appWs);
    const headers = { "content-type": spelling };
    const viaFastLane = await request(fastWs, "consume", { headers });
    const lane = await preflight(viaFastLane(), env);
    const fast = await json(lane instanceof Response ? lane : await viaApp(lane));
    const full = await json(await viaApp((await request(appWs, "consume", { headers }))()));

    expect(fast).toEqual(full);
    expect(fast.status).toBe(accepted ? 200 : 400);
    if (!accepted)
      expect(fast.body.error.details).toEqual([expect.objectContaining({ path: "Content-Type" })]);
    // The fast lane answers what it accepts itself; anything else is the app's to refuse.
    expect(lane instanceof Response).toBe(accepted);
    for (const ws of [fastWs, appWs]) {
      const { body } = await json(
        await viaApp(
          new Request(`https://quota.test/v1/workspaces/${ws}/credits`, {
            headers: { authorization: `Bearer ${await token(ws, "viewer")}` },
          }),
        ),
      );
      expect(body.used, ws).toBe(accepted ? 3 : 0);
    }
  });
});
