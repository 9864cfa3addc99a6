// Runs the Worker the way a user does (`wrangler dev` on workerd, state on disk) for e2e tests.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken as mint } from "../../scripts/lib/token.mjs";

export const E2E_SECRET = "e2e-secret-0123456789abcdef";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

export const mintToken = (ws: string, role: string, ttlSeconds = 3600): string =>
  mint(E2E_SECRET, ws, role, ttlSeconds);

export interface DevServer {
  url: string;
  stateDir: string;
  /** The process group's leader (the reliability run kills the group with SIGKILL). */
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface Spawned {
  child: ChildProcess;
  /** Stops the process and everything it started, and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a server process in its own process group (so stopping it stops wrangler and workerd
 * with it) and waits until it says it is ready.
 */
export async function spawnReady(command: string, args: string[]): Promise<Spawned> {
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    detached: true,
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command} did not start:\n${output}`)),
      90_000,
    );
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (/Ready on/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      stopGroup(child, "SIGTERM");
      setTimeout(() => stopGroup(child, "SIGKILL"), 5_000);
    });
  return { child, stop };
}

/**
 * Starts `wrangler dev` on a free loopback port; `stateDir` lets a test restart on the same state,
 * `vars` adds bindings (the reliability run's test hooks).
 */
export async function startDevServer(
  stateDir?: string,
  vars: Record<string, string> = {},
): Promise<DevServer> {
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), "quota-e2e-"));
  // Given an env file, wrangler reads it instead of the developer's .dev.vars (or .env), so
  // the bindings are exactly the --var flags below, whatever is in the checkout.
  const noVars = join(dir, "no-vars.env");
  writeFileSync(noVars, "");
  // The fleet index's schema, as `npm start` applies it (scripts/start.mjs): without it the
  // workspaces' reports would fail (and say so) in every run. Applied again on a restart: a no-op.
  const migrate = spawnSync(
    "node_modules/.bin/wrangler",
    ["d1", "migrations", "apply", "quota-fleet", "--local", "--persist-to", dir],
    { encoding: "utf8", env: { ...process.env, CI: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
  );
  if (migrate.status !== 0) throw new Error(`fleet migrations: ${migrate.stderr}`);
  const port = await freePort();
  const { child, stop } = await spawnReady("node_modules/.bin/wrangler", [
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    dir,
    "--var",
    `AUTH_SECRET:${E2E_SECRET}`,
    "--var",
    "TEST_CLOCKS:on",
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    "--env-file",
    noVars,
    "--inspector-port",
    String(await freePort()),
  ]);
  const url = `http://127.0.0.1:${port}`;
  // The first request may race the runtime's start; wait until it answers.
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/openapi.json`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stateDir: dir, child, stop };
}

/** Signals a detached child's whole process group (it and everything it started). */
export function stopGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export const removeState = (dir: string) => rmSync(dir, { recursive: true, force: true });
