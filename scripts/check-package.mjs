// The typed client as a package: `npm pack` (its prepack compiles src/client/ to dist-client/),
// then, in an empty folder outside the repository where only the tarball is installed:
//   - test/package/caller.ts compiles with tsc against the packed types alone;
//   - test/package/consume.mjs, a plain ESM script run by this Node (20 or newer), imports
//     "quota-checker/client" and checks, spends and replays against `wrangler dev`, started here
//     on a free port with its state in a temporary folder.
// Usage: node scripts/check-package.mjs (CI runs it). Prints each step's time; exits non-zero
// on any failure.
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const fixture = join(root, "test/package");
const SECRET = "package-check-secret-0123456789";
const started = Date.now();
const step = (what) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

/** Runs a command to completion; fails the check with its output when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.status !== 0) {
    console.error(`${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
    process.exit(1);
  }
  return result.stdout;
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
    server.on("error", fail);
  });
}

/** An HS256 bearer token the server started below accepts (docs/api.md#tokens-and-roles). */
function token(ws, role) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ ws, role, exp })}`;
  return `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
}

/** `wrangler dev` on a free loopback port, its state and env file in `dir`; answers its URL. */
async function startServer(dir) {
  const noVars = join(dir, "no-vars.env");
  writeFileSync(noVars, "");
  const port = await freePort();
  // wrangler needs Node 22.12 or newer: the repository's own (the `node` dev dependency).
  const bundledNode = join(root, "node_modules/.bin/node");
  const node = existsSync(bundledNode) ? bundledNode : process.execPath;
  const wrangler = join(root, "node_modules/wrangler/bin/wrangler.js");
  // The fleet index and the catalogue (D1) first, as `npm start` does: every object reads the
  // published catalogue from it before deciding.
  const state = join(dir, "state");
  run(
    node,
    [wrangler, "d1", "migrations", "apply", "quota-fleet", "--local", "--persist-to", state],
    {
      cwd: root,
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    },
  );
  const args = [
    wrangler,
    "dev",
    ...["--port", String(port), "--ip", "127.0.0.1", "--persist-to", join(dir, "state")],
    ...["--var", `AUTH_SECRET:${SECRET}`, "--var", "TEST_CLOCKS:on", "--env-file", noVars],
    ...["--inspector-port", String(await freePort())],
  ];
  const child = spawn(node, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    detached: true,
  });
  let output = "";
  await new Promise((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`wrangler dev did not start:\n${output}`)),
      90_000,
    );
    const onData = (chunk) => {
      output += String(chunk);
      if (/Ready on/.test(output)) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => fail(new Error(`wrangler dev exited with ${code}:\n${output}`)));
  });
  const stop = () => {
    // Its own process group: wrangler and the workerd it started stop together.
    if (child.exitCode === null) process.kill(-child.pid, "SIGTERM");
  };
  process.on("exit", stop);
  const url = `http://127.0.0.1:${port}`;
  // The first request may race the runtime's start.
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/openapi.json`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop };
}

const work = mkdtempSync(join(tmpdir(), "quota-package-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

// 1. Pack: prepack builds dist-client/; the tarball's file list must be the client alone.
step("npm pack");
const packed = JSON.parse(run(npm, ["pack", "--json", "--pack-destination", work], { cwd: root }));
const files = packed[0].files.map((f) => f.path).sort();
const unexpected = files.filter(
  (f) => !/^dist-client\/[a-z]+\.(js|d\.ts)$/.test(f) && !["package.json", "README.md"].includes(f),
);
if (unexpected.length > 0 || !files.includes("dist-client/index.js")) {
  console.error(`The package holds what it should not (or lacks the client): ${files.join(", ")}`);
  process.exit(1);
}
step(`packed ${packed[0].filename}: ${files.length} files, ${packed[0].size} bytes`);

// 2. Install the tarball alone into an empty folder outside the repository.
const app = join(work, "app");
mkdirSync(app);
writeFileSync(join(app, "package.json"), '{ "private": true, "type": "module" }\n');
for (const file of ["consume.mjs", "caller.ts", "tsconfig.json"]) {
  copyFileSync(join(fixture, file), join(app, file));
}
run(
  npm,
  ["install", join(work, packed[0].filename), "--no-audit", "--no-fund", "--prefer-offline"],
  { cwd: app },
);
step("installed the tarball");

// 3. The TypeScript caller compiles against the packed types (the repository's tsc, the
// folder's node_modules).
run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", app]);
step("caller.ts compiled against the packed types");

// 4. The ESM script against a running server, by this Node.
const server = await startServer(work);
step(`wrangler dev ready at ${server.url}`);
const ws = `package-${Date.now()}`;
const subscribed = await fetch(`${server.url}/v1/workspaces/${ws}/subscription`, {
  method: "PUT",
  headers: { authorization: `Bearer ${token(ws, "platform")}`, "content-type": "application/json" },
  body: JSON.stringify({ plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" }),
});
if (!subscribed.ok) throw new Error(`subscription: HTTP ${subscribed.status}`);
const env = {
  ...process.env,
  QUOTA_URL: server.url,
  // A port found free and left closed: a refused connection, for the "nothing decided" answer.
  QUOTA_DOWN_URL: `http://127.0.0.1:${await freePort()}`,
  QUOTA_TOKEN: token(ws, "service"),
  QUOTA_WS: ws,
};
const out = run(process.execPath, ["consume.mjs"], { cwd: app, env });
server.stop();
step(`consume.mjs on Node ${process.versions.node}: ${out.trim().slice(0, 160)}…`);
console.log(`The client package works (${((Date.now() - started) / 1000).toFixed(1)} s).`);
