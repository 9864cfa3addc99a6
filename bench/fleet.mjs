// The fleet index at local scale: against `npm start` (or any server on FLEET_URL), subscribes N
// workspaces and spends once in each, 16 at a time, then waits until every one is in the index.
// Prints how long the calls took and how long until the last report landed.
//   node bench/fleet.mjs [N]      (AUTH_SECRET from .dev.vars, as `npm run token` reads it)
import { readFileSync } from "node:fs";
import { mintToken } from "../scripts/lib/token.mjs";

const N = Number(process.argv[2] ?? 1000);
const URL_ = process.env.FLEET_URL ?? "http://127.0.0.1:8787";
const secret =
  process.env.AUTH_SECRET ?? /^AUTH_SECRET=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1];
const token = (ws, role) => mintToken(secret, ws, role, 3600);
const call = (ws, method, path, body, role = "platform") =>
  fetch(`${URL_}/v1/workspaces/${ws}${path}`, {
    method,
    headers: { authorization: `Bearer ${token(ws, role)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then((r) => r.text());
const run = `bench-${Date.now().toString(36)}`;
const anchor = new Date(Date.now() - 86_400_000).toISOString();
const before = await fetch(`${URL_}/v1/fleet/summary`, {
  headers: { authorization: `Bearer ${token("*", "platform")}` },
}).then((r) => r.json());
const started = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < N) {
      const ws = `${run}-${next++}`;
      await call(ws, "PUT", "/subscription", { plan: "pro", seats: 1, periodAnchor: anchor });
      await call(
        ws,
        "POST",
        "/credits/consume",
        { feature: "ai_rewriter", credits: 10 },
        "service",
      );
    }
  }),
);
const called = Date.now();
for (;;) {
  const s = await fetch(`${URL_}/v1/fleet/summary`, {
    headers: { authorization: `Bearer ${token("*", "platform")}` },
  }).then((r) => r.json());
  if (s.workspaces - before.workspaces >= N) break;
  await new Promise((r) => setTimeout(r, 200));
}
const indexed = Date.now();
console.log(
  `${N} workspaces: calls ${((called - started) / 1000).toFixed(1)} s (${Math.round((2 * N * 1000) / (called - started))} calls/s), all indexed ${((indexed - started) / 1000).toFixed(1)} s after the first call, ${((indexed - called) / 1000).toFixed(1)} s after the last`,
);
