import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  type DevServer,
  mintToken,
  removeState,
  startDevServer,
  stopGroup,
} from "../../e2e/server";
import { reportFigures } from "../figures";
import {
  type Counters,
  checkHistory,
  countersAgainstLedger,
  type LedgerEntry,
  readLedger,
} from "../history";
import { seedFrom } from "../rng";
import { bracketed, runWorkload, type Send, subscriptionBody } from "../workload";

/**
 * Crash and restart: `wrangler dev` with its state on disk, killed with SIGKILL (its whole
 * process group: wrangler and workerd) at least three times while K clients spend, reserve,
 * commit and release and an admin changes caps, seats and packages; restarted each time on the
 * same state. A call that got no answer is retried with its Idempotency-Key until it gets one.
 * Then the ledger must hold every acknowledged spend exactly once, nothing charged twice, no
 * overspend, and counters equal to the ledger's sums. Last, a reservation's expiry armed before
 * a crash must still be applied by the object's alarm after the restart.
 */
const SEED = seedFrom(process.env.RELIABILITY_SEED);
const KILLS_UNDER_LOAD = 3;
const CLIENTS = 12;
const OPS_PER_CLIENT = 40;
const CHANGES = 6;

let server: DevServer | undefined;
const stateDirs = new Set<string>();
afterAll(async () => {
  await server?.stop();
  for (const dir of stateDirs) removeState(dir);
});

/** The server as the clients see it: down while it restarts, then up at a new port. */
class Cluster {
  private up: Promise<void> = Promise.resolve();
  private markUp: () => void = () => {};
  kills = 0;
  killsWithReserveAndCommitInFlight = 0;
  inFlight = new Map<number, string>();

  constructor(public current: DevServer) {}

  ready(): Promise<void> {
    return this.up;
  }

  /** SIGKILL of the whole process group, then a restart on the same state directory. */
  async crashAndRestart(): Promise<void> {
    const inFlight = new Set(this.inFlight.values());
    if (inFlight.has("reserve") && inFlight.has("commit")) this.killsWithReserveAndCommitInFlight++;
    this.up = new Promise((resolve) => {
      this.markUp = resolve;
    });
    const old = this.current;
    const exited = new Promise<void>((resolve) => {
      if (old.child.exitCode !== null || old.child.signalCode !== null) resolve();
      else old.child.once("exit", () => resolve());
    });
    stopGroup(old.child, "SIGKILL");
    await exited;
    this.kills++;
    this.current = await startDevServer(old.stateDir);
    server = this.current;
    this.markUp();
  }
}

const kindOf = (method: string, path: string) =>
  path.endsWith("/commit")
    ? "commit"
    : path.endsWith("/release")
      ? "release"
      : path === "/credits/reservations" && method === "POST"
        ? "reserve"
        : path;

describe("crash and restart", () => {
  it(`kill -9 under load loses no acknowledged spend and charges nothing twice (seed ${SEED})`, {
    timeout: 240_000,
  }, async (ctx) => {
    server = await startDevServer();
    stateDirs.add(server.stateDir);
    const cluster = new Cluster(server);
    const ws = `crash${SEED}`;
    const alarmWs = `alarm${SEED}`;
    let requests = 0;
    let unanswered = 0;
    let retriedAnswered = 0;
    let fiveHundreds = 0;
    let nextCall = 0;
    let acknowledged = 0;
    // The killer waits on the clients' acknowledged calls, never on the clock.
    const killAt = new Set(
      Array.from({ length: KILLS_UNDER_LOAD }, (_, k) =>
        Math.floor(((k + 1) * CLIENTS * OPS_PER_CLIENT) / (KILLS_UNDER_LOAD + 1)),
      ),
    );
    let killing: Promise<void> | null = null;
    const pendingKills: number[] = [];

    /** Kills once a reservation and a commit are both in flight (or soon after the mark). */
    const maybeKill = () => {
      if (killing !== null || pendingKills.length === 0) return;
      const kinds = new Set(cluster.inFlight.values());
      const due = pendingKills[0] as number;
      if (!(kinds.has("reserve") && kinds.has("commit")) && acknowledged < due + 150) return;
      pendingKills.shift();
      killing = cluster.crashAndRestart().finally(() => {
        killing = null;
      });
    };

    const sendTo =
      (target: string): Send =>
      async (method, path, opts) => {
        const call = nextCall++;
        for (let attempt = 0; attempt < 50; attempt++) {
          await cluster.ready();
          const url = `${cluster.current.url}/v1/workspaces/${target}${path}`;
          const headers: Record<string, string> = {
            authorization: `Bearer ${mintToken(target, opts.role)}`,
          };
          if (opts.key !== undefined) headers["idempotency-key"] = opts.key;
          if (opts.body !== undefined) headers["content-type"] = "application/json";
          requests++;
          cluster.inFlight.set(call, kindOf(method, path));
          setImmediate(maybeKill);
          try {
            const response = await fetch(url, {
              method,
              headers,
              body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
              signal: AbortSignal.timeout(30_000),
            });
            const text = await response.text();
            if (response.status >= 500) {
              // An answer from the Worker itself counts; either way the call is retried.
              if (text.includes('"error"')) fiveHundreds++;
              throw new Error(`answered ${response.status}`);
            }
            cluster.inFlight.delete(call);
            if (attempt > 0) retriedAnswered++;
            acknowledged++;
            if (killAt.has(acknowledged)) pendingKills.push(acknowledged);
            return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
          } catch {
            cluster.inFlight.delete(call);
            if (attempt === 0) unanswered++;
            // Wait for the restart in progress (if any) before trying again with the same key.
            await (killing ?? new Promise((resolve) => setTimeout(resolve, 200)));
          }
        }
        throw new Error(`${method} ${path} got no answer after 50 tries`);
      };

    const send = sendTo(ws);
    // A pool that lasts most of the run, so reservations and commits go on until the end.
    const plan = {
      seats: 2,
      anchor: new Date(Date.now() - 24 * 3600_000).toISOString(),
      perSeat: 3_000,
    };
    expect(
      (await send("PUT", "/subscription", { role: "platform", body: subscriptionBody(plan) }))
        .status,
    ).toBe(200);
    const run = await runWorkload(ws, send, {
      clients: CLIENTS,
      opsPerClient: OPS_PER_CLIENT,
      changes: CHANGES,
      seed: SEED,
      plan,
    });
    while (killing !== null || pendingKills.length > 0) {
      maybeKill();
      await (killing ?? Promise.resolve());
      if (pendingKills.length > 0 && killing === null) {
        // The load ended before the last mark's condition held: crash now, idle.
        pendingKills.shift();
        await cluster.crashAndRestart();
      }
    }

    // An alarm armed before a crash fires after it: a hold that expires in 4 s, then SIGKILL
    // once the object has re-armed its alarm at the expiry (its first alarm reports to the due
    // index at once), then only reads. Only the alarm can write the `expire` row.
    const alarm = sendTo(alarmWs);
    expect(
      (await alarm("PUT", "/subscription", { role: "platform", body: subscriptionBody(plan) }))
        .status,
    ).toBe(200);
    const hold = await alarm("POST", "/credits/reservations", {
      role: "service",
      body: { feature: "copilot", credits: 5, ttlSeconds: 4 },
      key: "alarm-hold",
    });
    const held = hold.json as { allowed: boolean; reservationId: string; expiresAt: string };
    expect(held.allowed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await cluster.crashAndRestart();
    const getAlarmWs = (path: string) => alarm("GET", path, { role: "viewer" });
    let expired: LedgerEntry | undefined;
    for (let i = 0; i < 60 && expired === undefined; i++) {
      expired = (await readLedger(getAlarmWs)).find((e) => e.kind === "expire");
      if (expired === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
    }

    const get = (path: string) => send("GET", path, { role: "viewer" });
    // The counters and the ledger are two reads: a hold whose TTL (1-120 s) passes between them
    // is out of the counters (exact at their read) while its `expire` row is not written yet (its
    // alarm rings a moment later). A real divergence stays; a read that straddled an expiry is
    // read again, a bounded number of times.
    let entries: LedgerEntry[] = [];
    let counters = {} as Counters;
    let counterDiffs: string[] = [];
    for (let read = 0; read < 10; read++) {
      if (read > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      entries = await readLedger(get);
      counters = (await get("/credits")).json as Counters;
      counterDiffs = countersAgainstLedger(counters, entries);
      if (counterDiffs.length === 0) break;
    }
    const { changes, missing } = bracketed(run.changes, entries);
    const verdict = checkHistory({
      initial: run.initial,
      changes,
      entries,
      observations: run.observations,
    });
    reportFigures(
      ctx,
      {
        requestsIssued: requests,
        restartsSurvived: cluster.kills,
        overspendFound: verdict.overspend.length,
        acknowledgedSpendsLost: verdict.lost.length + missing.length,
        doubleCharges: verdict.doubleCharges.length + verdict.phantom.length,
        fiveHundredsSeen: fiveHundreds,
      },
      `crash: seed ${SEED}, ${cluster.kills} SIGKILLs (${cluster.killsWithReserveAndCommitInFlight} with a reservation and a commit in flight), ${unanswered} calls cut off and retried with their key, ${entries.length} ledger rows, alarm after restart: ${expired ? "fired" : "DID NOT FIRE"}`,
    );

    expect(cluster.kills).toBeGreaterThanOrEqual(KILLS_UNDER_LOAD + 1);
    expect(cluster.killsWithReserveAndCommitInFlight).toBeGreaterThanOrEqual(1);
    expect(unanswered).toBeGreaterThan(0);
    expect(retriedAnswered).toBe(unanswered);
    expect(verdict.overspend).toEqual([]);
    expect(verdict.lost).toEqual([]);
    expect(missing).toEqual([]);
    expect(verdict.doubleCharges).toEqual([]);
    expect(verdict.phantom).toEqual([]);
    expect(verdict.mismatched).toEqual([]);
    expect(counterDiffs).toEqual([]);
    expect(fiveHundreds).toBe(0);
    expect(expired).toMatchObject({
      kind: "expire",
      reservationId: held.reservationId,
      at: held.expiresAt,
      credits: 5,
    });
  });

  it(`kill -9 between the archive's write and its delete loses nothing and duplicates nothing (seed ${SEED})`, {
    timeout: 240_000,
  }, async (ctx) => {
    // The archive holds its run between a confirmed write and its delete (a test hook, honoured
    // only with test clocks on): the server is killed there, deterministically, once the file
    // is listed. The restart runs without the hook.
    const paused = await startDevServer(undefined, { ARCHIVE_PAUSE_AFTER_WRITE_MS: "600000" });
    server = paused;
    stateDirs.add(paused.stateDir);
    const ws = `archcrash${SEED}`;
    const T0 = Date.parse("2026-01-10T09:00:00Z");
    const DAY = 86_400_000;
    const RAW_WINDOW = 62 * DAY;
    const request = async (
      base: DevServer,
      method: string,
      path: string,
      role: string,
      body?: unknown,
    ) => {
      const response = await fetch(`${base.url}/v1/workspaces/${ws}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${mintToken(ws, role)}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      return { status: response.status, bytes, json: () => JSON.parse(String(bytes)) };
    };
    const clock = (base: DevServer, at: number) =>
      request(base, "PUT", "/test-clock", "platform", { now: new Date(at).toISOString() });

    expect((await clock(paused, T0)).status).toBe(200);
    const sub = await request(paused, "PUT", "/subscription", "platform", {
      plan: "pro",
      seats: 3,
      periodAnchor: "2026-01-15T00:00:00Z",
      overrides: { aiCreditsPerSeat: 100_000 },
    });
    expect(sub.status).toBe(200);
    const DAYS = 4;
    let spent = 0;
    for (let d = 0; d < DAYS; d++) {
      expect((await clock(paused, T0 + d * DAY)).status).toBe(200);
      for (const credits of [d + 1, 2]) {
        const r = await request(paused, "POST", "/credits/consume", "service", {
          feature: "copilot",
          credits,
        });
        expect(r.json()).toMatchObject({ allowed: true });
        spent += credits;
      }
    }
    // Every day but the last past its raw window: the move's due work writes the first day's
    // file, confirms it, and holds before the delete. Its answer never comes.
    const due = T0 + (DAYS - 1) * DAY + RAW_WINDOW;
    const stuck = clock(paused, due).catch(() => undefined);
    const listed = async (base: DevServer) => {
      const r = await request(base, "GET", "/archives?kind=ledger", "platform");
      expect(r.status).toBe(200);
      return r.json().archives as {
        key: string;
        sha256: string;
        firstSeq: number;
        lastSeq: number;
        rows: number;
      }[];
    };
    let before: Awaited<ReturnType<typeof listed>> = [];
    for (let i = 0; i < 120 && before.length === 0; i++) {
      before = await listed(paused);
      if (before.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(before).toHaveLength(1);
    const exited = new Promise<void>((resolve) => paused.child.once("exit", () => resolve()));
    stopGroup(paused.child, "SIGKILL");
    await exited;
    await stuck;

    const restarted = await startDevServer(paused.stateDir);
    server = restarted;
    const get = async (path: string) => {
      const r = await request(restarted, "GET", path, "viewer");
      return { status: r.status, json: r.json() };
    };
    // Nothing was deleted: the written file's entries are still in the object.
    const kept = (await readLedger(get)).map((e) => e.id);
    const first = before[0] as (typeof before)[number];
    expect(kept.slice(0, first.rows)).toEqual(
      Array.from({ length: first.rows }, (_, i) => first.firstSeq + i),
    );
    // The next due work rewrites that file (same name, same bytes), deletes, and goes on.
    expect((await clock(restarted, due + 60_000)).status).toBe(200);
    const after = await listed(restarted);
    const keys = after.map((m) => m.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(after.find((m) => m.key === first.key)?.sha256).toBe(first.sha256);
    const archived: { seq: number; kind: string; credits: number }[] = [];
    for (const m of after) {
      const file = await request(restarted, "GET", `/archives/${m.key}`, "platform");
      expect(file.status).toBe(200);
      const rows = String(gunzipSync(file.bytes))
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line));
      expect(rows.map((r) => r.seq)).toEqual(
        Array.from({ length: m.rows }, (_, i) => m.firstSeq + i),
      );
      archived.push(...rows);
    }
    const raw = await readLedger(get);
    const seqs = [...archived.map((r) => r.seq), ...raw.map((e) => e.id)].sort((a, b) => a - b);
    // Every entry in exactly one place, sequences continuous from the first.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs).toHaveLength(2 * DAYS);
    expect(archived.length).toBe(2 * (DAYS - 1));
    const charged = [...archived, ...raw]
      .filter((e) => e.kind === "debit")
      .reduce((n, e) => n + e.credits, 0);
    expect(charged).toBe(spent);
    reportFigures(
      ctx,
      { restartsSurvived: 1, acknowledgedSpendsLost: spent - charged },
      `archive crash: killed after ${first.key} was written, before its delete; after the restart ${after.length} files, ${archived.length} archived + ${raw.length} raw entries, sequences 1..${seqs.length}`,
    );
  });
});
