// Binding vs HTTP bench: how long an AI feature's Worker waits for a credit check or consume
// when it calls the quota service over its QuotaService binding, over HTTP through a service
// binding's fetch, and over HTTP on a loopback socket. Miniflare in Node (workerd), c=1, a simple
// sequential loop. Not a test: it prints a table and writes bench/.out/binding.json (with
// --write, bench/results/binding.json).
//
//   npm run bench:binding [-- --write]      (BENCH_BINDING_N=2000 calls per figure)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { build } from "esbuild";
import { mintToken } from "../scripts/lib/token.mjs";
import { ROOT } from "./lib/paths.mjs";
import { summary } from "./lib/stats.mjs";
import { appWorker, bundle, COMPAT_DATE, startWorkerd } from "./lib/workerd.mjs";

const N = Number(process.env.BENCH_BINDING_N ?? 2000);
const WARMUP = Math.min(200, N);
const SECRET = "bench-secret-0123456789";
const WS = "bench-binding";

const token = (ws, role) => mintToken(SECRET, ws, role, 3600);

/** A loopback port nobody listens on right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function stats(samples) {
  const { n, p50Ms, p99Ms } = summary(samples, 3);
  return { n, p50Ms, p99Ms };
}

const dir = mkdtempSync(join(tmpdir(), "quota-bench-binding-"));
let mf;
try {
  // The quota Worker exactly as `npm run deploy` would ship it; the caller bundled beside it.
  const quotaBundle = await bundle("binding-quota");
  await build({
    entryPoints: [join(ROOT, "bench/binding-caller.ts")],
    outfile: join(dir, "caller.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    logLevel: "warning",
  });

  const quota = {
    ...appWorker("quota", quotaBundle, { secret: SECRET }),
    // Its own socket on a known port, for the `network` mode (no Node proxy in the way).
    unsafeDirectSockets: [{ host: "127.0.0.1", port: await freePort() }],
  };
  const callerPort = await freePort();
  ({ mf } = await startWorkerd([
    quota,
    {
      name: "caller",
      modules: true,
      modulesRoot: dir,
      scriptPath: join(dir, "caller.js"),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: callerPort }],
      compatibilityDate: COMPAT_DATE,
      bindings: {
        TOKEN: token(WS, "service"),
        NETWORK_URL: `http://127.0.0.1:${quota.unsafeDirectSockets[0].port}`,
      },
      serviceBindings: {
        QUOTA: { name: "quota", entrypoint: "QuotaService" },
        QUOTA_HTTP: "quota",
      },
    },
  ]));
  const quotaWorker = await mf.getWorker("quota");
  const put = await quotaWorker.fetch(`https://quota/v1/workspaces/${WS}/subscription`, {
    method: "PUT",
    headers: {
      authorization: `Bearer ${token(WS, "platform")}`,
      "content-type": "application/json",
    },
    // Enough credits that no consume of the run is refused.
    body: JSON.stringify({
      plan: "enterprise",
      seats: 100_000,
      periodAnchor: "2026-01-01T00:00:00Z",
    }),
  });
  if (put.status !== 200) throw new Error(`subscription: HTTP ${put.status} ${await put.text()}`);

  // Each call is timed in Node around one request to the caller Worker's own socket: the
  // caller makes exactly one call to the quota service per request. Inside workerd the clock
  // only moves in whole milliseconds, too coarse for these figures. `noop` (the caller asks
  // nothing) is the cost of the Node → caller hop, the same in every row.
  const callerUrl = `http://127.0.0.1:${callerPort}`;
  const once = async (mode, op) => {
    const started = performance.now();
    const r = await fetch(`${callerUrl}/run?mode=${mode}&op=${op}&ws=${WS}&n=1`);
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${mode} ${op}: HTTP ${r.status} ${text}`);
    return performance.now() - started;
  };

  // The modes take turns call by call, so a load spike or the workspace's growing ledger
  // weighs on every mode alike.
  const MODES = ["noop", "binding", "fetcher", "network"];
  const rows = [];
  for (const op of ["check", "consume"]) {
    const samples = Object.fromEntries(MODES.map((mode) => [mode, []]));
    for (let i = 0; i < WARMUP + N; i++) {
      for (const mode of MODES) {
        const ms = await once(mode, op);
        if (i >= WARMUP) samples[mode].push(ms);
      }
    }
    for (const mode of MODES) {
      rows.push({ op: mode === "noop" ? `(${op} run)` : op, mode, ...stats(samples[mode]) });
    }
  }
  for (const row of rows) {
    const run = rows.filter((r) => r.op === row.op || r.op === `(${row.op} run)`);
    const noop = run.find((r) => r.mode === "noop");
    const binding = run.find((r) => r.mode === "binding");
    // What the call itself adds to the caller's request, beyond the Node → caller hop.
    row.addedP50Ms = +(row.p50Ms - noop.p50Ms).toFixed(3);
    row.vsBinding =
      row.mode === "noop" ? "" : `${(row.addedP50Ms / (binding.p50Ms - noop.p50Ms)).toFixed(2)}×`;
  }
  console.log(
    `\nBinding vs HTTP, c=1, ${N} sequential calls per row, timed in Node around one caller request each\n`,
  );
  console.table(rows);

  // Figures go to the ignored bench/.out/; the committed bench/results/ only when asked, so a
  // run never dirties the work tree.
  const out = process.argv.includes("--write") ? "bench/results" : "bench/.out";
  mkdirSync(join(ROOT, out), { recursive: true });
  const file = join(ROOT, out, "binding.json");
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
  writeFileSync(
    file,
    `${JSON.stringify({ machine, date: new Date().toISOString(), calls: N, rows }, null, 2)}\n`,
  );
  console.log(`written to ${file}`);
} finally {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
}
