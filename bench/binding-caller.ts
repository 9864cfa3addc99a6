/**
 * The caller Worker of the binding-vs-HTTP bench (bench/binding.mjs): an AI feature's Worker
 * asking the quota service the same question three ways. The bench times each request in Node
 * (inside workerd the clock moves in whole milliseconds).
 *
 * GET /run?mode=…&op=check|consume&n=…&ws=…  → n sequential calls:
 *   noop     nothing (the loop's own cost)
 *   binding  QUOTA.check(ws, body) / QUOTA.consume(ws, body, { idempotencyKey }) over the
 *            QuotaService entrypoint (RPC)
 *   fetcher  the HTTP API through a plain service binding's fetch: bearer token, routing,
 *            JSON, no network
 *   network  the HTTP API over a loopback TCP socket (the quota Worker's own port)
 */
interface CallerEnv {
  QUOTA: {
    check(ws: string, body: unknown): Promise<unknown>;
    consume(ws: string, body: unknown, options: unknown): Promise<unknown>;
  };
  QUOTA_HTTP: Fetcher;
  NETWORK_URL: string;
  TOKEN: string;
}

const body = { feature: "ai_rewriter", credits: 1 };

function httpRequest(env: CallerEnv, origin: string, ws: string, op: string, key: string) {
  return new Request(`${origin}/v1/workspaces/${ws}/credits/${op}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${env.TOKEN}`,
      "content-type": "application/json",
      ...(op === "consume" && { "idempotency-key": key }),
    },
    body: JSON.stringify(body),
  });
}

async function once(env: CallerEnv, mode: string, op: string, ws: string, key: string) {
  switch (mode) {
    case "noop":
      return;
    case "binding":
      if (op === "check") await env.QUOTA.check(ws, body);
      else await env.QUOTA.consume(ws, body, { idempotencyKey: key });
      return;
    case "fetcher": {
      const r = await env.QUOTA_HTTP.fetch(httpRequest(env, "https://quota", ws, op, key));
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      return;
    }
    case "network": {
      const r = await fetch(httpRequest(env, env.NETWORK_URL, ws, op, key));
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      return;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

export default {
  async fetch(request: Request, env: CallerEnv): Promise<Response> {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode") ?? "noop";
    const op = url.searchParams.get("op") ?? "check";
    const ws = url.searchParams.get("ws") ?? "bench";
    const n = Number(url.searchParams.get("n") ?? 100);
    for (let i = 0; i < n; i++) await once(env, mode, op, ws, `${mode}-${crypto.randomUUID()}`);
    return new Response("ok");
  },
};
