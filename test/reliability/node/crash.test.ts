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
    const entries = await readLedger(get);
    const counters = (await get("/credits")).json as Counters;
    const { changes, missing } = bracketed(run.changes, entries);
    const verdict = checkHistory({
      initial: run.initial,
      changes,
      entries,
      observations: run.observations,
    });
    const counterDiffs = countersAgainstLedger(counters, entries);
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
});
