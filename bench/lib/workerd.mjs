// workerd, run by Miniflare's API, for the benches: the Worker bundled as `npm run deploy` ships
// it, its Miniflare options, and a started workerd with its process id and direct sockets.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { OUT, ROOT } from "./paths.mjs";
import { PIN, run, SERVER_CPU } from "./proc.mjs";

/** The inspector's port when startWorkerd is asked for one (lib/profile.mjs connects to it). */
export const INSPECTOR_PORT = 9_339;
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
/** wrangler.toml's compatibility date, so every bench runs the Worker as it is deployed. */
export const COMPAT_DATE =
  /compatibility_date\s*=\s*"([^"]+)"/.exec(
    readFileSync(join(ROOT, "wrangler.toml"), "utf8"),
  )?.[1] ?? "2026-11-01";

/** The workerd process Miniflare started (a child of this process). */
async function workerdPid() {
  const out = await run("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)]);
  const line = out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find(([, comm]) => comm === "workerd");
  if (line === undefined) throw new Error("workerd process not found");
  return Number(line[0]);
}

/**
 * The Worker bundled by `wrangler deploy --dry-run` into bench/.out/build/<name>/ (with `entry`,
 * another entry point bundled the same way); answers the bundle's path.
 */
export async function bundle(name, entry) {
  const outdir = join(OUT, "build", name);
  await run(WRANGLER, ["deploy", "--dry-run", "--outdir", outdir, ...(entry ? [entry] : [])], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  // wrangler names the bundle after its entry: index.js for src/index.ts.
  const base = entry === undefined ? "index" : entry.split("/").at(-1).replace(/\.ts$/, "");
  return join(outdir, `${base}.js`);
}

export const directSocket = [{ host: "127.0.0.1", port: 0 }];

/** Miniflare's options for the quota Worker's bundle, with its objects and a direct socket. */
export function appWorker(name, scriptPath, { secret, testClocks = "off" }) {
  return {
    name,
    modules: true,
    scriptPath,
    compatibilityDate: COMPAT_DATE,
    durableObjects: {
      WORKSPACE: { className: "WorkspaceObject", useSQLite: true },
      DUE_INDEX: { className: "DueIndex", useSQLite: true },
    },
    // Request logs off: a workerd on this machine writes each line to a pipe, which is not what
    // Workers Logs costs in production (docs/benchmarks.md says so beside the table).
    bindings: { AUTH_SECRET: secret, TEST_CLOCKS: testClocks, LOG_REQUESTS: "off" },
    unsafeDirectSockets: directSocket,
  };
}

/**
 * Starts workerd with `workers` (Miniflare's classic option shape, which Miniflare 5 converts
 * itself). `state`: the objects' storage on disk there (else Miniflare's default); `inspect`: the
 * inspector on INSPECTOR_PORT; `pin`: workerd on the server's core, where the machine has two.
 * Answers Miniflare, workerd's pid, and the URL of a worker's direct socket.
 */
export async function startWorkerd(workers, { state, inspect = false, pin = false } = {}) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...(state === undefined ? {} : { resourcePersistencePath: state }),
      workers,
      ...(inspect ? { inspectorPort: INSPECTOR_PORT } : {}),
    }),
  );
  await mf.ready;
  const pid = await workerdPid();
  if (pin && PIN) await run("taskset", ["-a", "-p", "-c", SERVER_CPU, String(pid)]);
  const url = async (name) => (await mf.unsafeGetDirectURL(name)).href;
  return { mf, pid, url };
}
