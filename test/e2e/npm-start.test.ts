import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Spawned, spawnReady } from "./server";

/**
 * The README's path: `npm start` serves, and `npm run -s token` prints a token it accepts. It runs
 * on what a fresh clone has (.dev.vars.example), not on the developer's own .dev.vars: the
 * server is given that file with --env-file and the token its secret.
 */
let server: Spawned;
let url: string;
const state = mkdtempSync(join(tmpdir(), "quota-npm-start-"));
const EXAMPLE = resolve(".dev.vars.example");
const EXAMPLE_SECRET = /^AUTH_SECRET=(.*)$/m.exec(readFileSync(EXAMPLE, "utf8"))?.[1]?.trim();

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = await spawnReady("npm", [
    "start",
    "--",
    "--port",
    String(port),
    "--persist-to",
    state,
    "--inspector-port",
    String(await freePort()),
    "--env-file",
    EXAMPLE,
  ]);
});

afterAll(async () => {
  await server?.stop();
  rmSync(state, { recursive: true, force: true });
});

/** The README's form: -s keeps npm's "> script" banner out, so stdout is the token alone. */
const token = (ws: string, role: string) =>
  execFileSync("npm", ["run", "-s", "token", "--", ws, role], {
    encoding: "utf8",
    env: { ...process.env, AUTH_SECRET: EXAMPLE_SECRET },
  });

describe("npm start and npm run token", () => {
  it("prints a token alone on one line", () => {
    const out = token("acme", "platform");
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it("lets npm say what went wrong (a mistyped script)", () => {
    const run = spawnSync("npm", ["run", "tset"], { encoding: "utf8" });
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(/Missing script: "tset"/);
  });

  it("serves the API to a token from npm run token, with test clocks on", async () => {
    const platform = token("*", "platform").trim();
    const headers = { authorization: `Bearer ${platform}`, "content-type": "application/json" };
    const api = `${url}/v1/workspaces/acme`;
    const clock = await fetch(`${api}/test-clock`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ now: "2026-07-20T00:00:00Z" }),
    });
    expect(clock.status).toBe(200);
    const sub = await fetch(`${api}/subscription`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ plan: "base", seats: 2, periodAnchor: "2026-07-15T00:00:00Z" }),
    });
    expect(sub.status).toBe(200);
    const usage = await fetch(`${api}/usage`, {
      headers: { authorization: `Bearer ${token("acme", "viewer").trim()}` },
    });
    expect(usage.status).toBe(200);
    expect(await usage.json()).toMatchObject({
      leads: { limit: 5_000 },
      contactsAndCompanies: { limit: 25_000 },
      credits: { limit: 1_500 },
    });
    const unsigned = await fetch(`${api}/usage`, { headers: { authorization: "Bearer x.y.z" } });
    expect(unsigned.status).toBe(401);
  });
});
