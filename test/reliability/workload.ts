import type { Change, LedgerEntry, Limits, Observation } from "./history";
import { type Rng, rng } from "./rng";

/**
 * The concurrent workload the history checker judges: K service clients mixing consumes,
 * reservations, commits (some above the estimate) and releases on one workspace, while one
 * admin client changes feature caps, the seats and credit packages, each change bracketed by
 * two marker calls that write the ledger. Shared by the workerd run and the crash run, which
 * differ only in how a call is sent (the crash run retries an unanswered call with its key).
 */

export type Role = "platform" | "admin" | "service" | "viewer";

/** Sends one call to the workspace (path relative to /v1/workspaces/{ws}) and answers it. */
export type Send = (
  method: string,
  path: string,
  opts: { role: Role; body?: unknown; key?: string },
) => Promise<{ status: number; json: unknown }>;

// biome-ignore lint/suspicious/noExplicitAny: answers of many shapes are read loosely
type Json = any;

export const FEATURES = ["ai_rewriter", "ai_summarize", "copilot", "ai_agent"] as const;
const CAPS = [0, 20, 60, 150, null] as const;
export interface Plan {
  seats: number;
  anchor: string;
  /** Credits per seat: small, so the pool runs out and refusals meet grants at the edge. */
  perSeat: number;
}

/** The subscription the run starts from: a small pool, and unlimited questions for markers. */
export const subscriptionBody = (plan: Plan) => ({
  plan: "pro",
  seats: plan.seats,
  periodAnchor: plan.anchor,
  overrides: { aiCreditsPerSeat: plan.perSeat, copilotQuestions: null },
});

export interface WorkloadOptions {
  clients: number;
  opsPerClient: number;
  changes: number;
  seed: number;
  plan: Plan;
  /** Runs between two changes (e.g. moves a test clock on so holds expire). */
  between?: (i: number) => Promise<void>;
}

interface PendingChange {
  label: string;
  beforeKey: string;
  afterKey: string;
  limits: Limits;
}

export interface WorkloadResult {
  initial: Limits;
  observations: Observation[];
  changes: PendingChange[];
  /** Calls answered by the service clients and the admin. */
  answered: number;
  refused: number;
}

/** Resolves waiters once the clients' total of finished operations reaches their target. */
class Progress {
  done = 0;
  private waiters: { at: number; resolve: () => void }[] = [];
  tick() {
    this.done++;
    const due = this.waiters.filter((w) => w.at <= this.done);
    this.waiters = this.waiters.filter((w) => w.at > this.done);
    for (const w of due) w.resolve();
  }
  reach(at: number): Promise<void> {
    if (this.done >= at) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ at, resolve }));
  }
}

export async function runWorkload(
  ws: string,
  send: Send,
  options: WorkloadOptions,
): Promise<WorkloadResult> {
  const { clients, opsPerClient, changes, seed, plan } = options;
  const observations: Observation[] = [];
  const pending: PendingChange[] = [];
  const progress = new Progress();
  let answered = 0;
  let refused = 0;
  const sent = async (...args: Parameters<Send>) => {
    const r = await send(...args);
    answered++;
    return r as { status: number; json: Json };
  };

  const packages = new Map<string, number>();
  let seats = plan.seats;
  const caps: Record<string, number | null> = {};
  // Top-ups (docs/budgets.md) are drawn once the small pool is spent: one from the start, more
  // as changes. None expires during a run.
  let topups = 0;
  const limits = (): Limits => ({
    balance: plan.perSeat * seats + [...packages.values()].reduce((a, b) => a + b, 0),
    caps: { ...caps },
    topups,
  });
  const first = await sent("POST", "/credit-topups", {
    role: "platform",
    body: { id: "top-start", credits: 150, expiresAt: "2099-01-01T00:00:00Z" },
    key: `${ws}.top-start`,
  });
  if (first.status === 200) topups += 150;
  const initial = limits();

  async function service(client: number, random: Rng) {
    const open: { id: string; credits: number }[] = [];
    for (let op = 0; op < opsPerClient; op++) {
      const key = `${ws}.c${client}.o${op}`;
      if (open.length > 0 && random.chance(0.45)) {
        const [hold] = open.splice(random.int(0, open.length - 1), 1);
        if (hold === undefined) continue;
        if (random.chance(0.7)) {
          // The actual cost: sometimes below the estimate, often above it (an overrun).
          const credits = Math.max(0, hold.credits + random.int(-5, 15));
          const r = await sent("POST", `/credits/reservations/${hold.id}/commit`, {
            role: "service",
            body: { credits },
            key: `${key}.commit`,
          });
          observations.push(observe(`${key}.commit`, "commit", r.status === 200, r.json));
        } else {
          const r = await sent("POST", `/credits/reservations/${hold.id}/release`, {
            role: "service",
            key: `${key}.release`,
          });
          observations.push(observe(`${key}.release`, "release", r.status === 200, r.json));
        }
      } else if (random.chance(0.5)) {
        const body = { feature: random.pick(FEATURES), credits: random.int(1, 30) };
        const r = await sent("POST", "/credits/consume", {
          role: "service",
          body,
          key: `${key}.consume`,
        });
        const granted = r.status === 200 && r.json.allowed === true;
        if (!granted) refused++;
        observations.push(observe(`${key}.consume`, "debit", granted, r.json));
      } else {
        const body = {
          feature: random.pick(FEATURES),
          credits: random.int(1, 30),
          ttlSeconds: random.int(1, 120),
        };
        const r = await sent("POST", "/credits/reservations", {
          role: "service",
          body,
          key: `${key}.reserve`,
        });
        const granted = r.status === 200 && r.json.allowed === true;
        if (granted) open.push({ id: r.json.reservationId, credits: body.credits });
        else refused++;
        observations.push(observe(`${key}.reserve`, "hold", granted, r.json));
      }
      progress.tick();
    }
  }

  async function admin(random: Rng) {
    const total = clients * opsPerClient;
    for (let i = 0; i < changes; i++) {
      await progress.reach(Math.floor(((i + 1) * total) / (changes + 1)));
      await options.between?.(i);
      const marker = (side: string) =>
        sent("POST", "/copilot-questions/consume", { role: "service", key: `${ws}.m${i}.${side}` });
      const beforeKey = `${ws}.m${i}.before`;
      const afterKey = `${ws}.m${i}.after`;
      await marker("before");
      const kind = random.pick(["cap", "cap", "seats", "package", "topup"] as const);
      let label: string;
      if (kind === "cap") {
        const feature = random.pick(FEATURES);
        const limit = random.pick(CAPS);
        label = `cap ${feature} at ${limit}`;
        const r = await sent("PUT", `/credits/feature-limits/${feature}`, {
          role: "admin",
          body: { limit },
          key: `${ws}.m${i}.change`,
        });
        if (r.status === 200) caps[feature] = limit;
      } else if (kind === "seats") {
        const next = random.int(1, 4);
        label = `seats ${seats} → ${next}`;
        const r = await sent("PUT", "/subscription", {
          role: "platform",
          body: subscriptionBody({ ...plan, seats: next }),
          key: `${ws}.m${i}.change`,
        });
        if (r.status === 200) seats = next;
      } else if (kind === "topup") {
        const credits = random.int(20, 200);
        label = `top-up ${i} of ${credits}`;
        const r = await sent("POST", "/credit-topups", {
          role: "platform",
          body: { id: `top-${i}`, credits, expiresAt: "2099-01-01T00:00:00Z" },
          key: `${ws}.m${i}.change`,
        });
        if (r.status === 200) topups += credits;
      } else {
        const id = `pkg-${random.int(0, 2)}`;
        const credits = random.int(50, 400);
        label = `package ${id} = ${credits}`;
        const r = await sent("POST", "/credit-packages", {
          role: "platform",
          body: { id, credits, expiresAt: "2099-01-01T00:00:00Z" },
          key: `${ws}.m${i}.change`,
        });
        if (r.status === 200) packages.set(id, credits);
      }
      await marker("after");
      pending.push({ label, beforeKey, afterKey, limits: limits() });
    }
  }

  const base = rng(seed);
  await Promise.all([
    ...Array.from({ length: clients }, (_, c) => service(c, rng(base.int(0, 2 ** 31)))),
    admin(rng(base.int(0, 2 ** 31))),
  ]);
  return { initial, observations, changes: pending, answered, refused };
}

function observe(
  key: string,
  kind: Observation["kind"],
  granted: boolean,
  json: Json,
): Observation {
  const o: Observation = { key, kind, granted };
  if (granted && typeof json?.used === "number" && typeof json?.held === "number") {
    o.used = json.used;
    o.held = json.held;
  }
  return o;
}

/**
 * The changes with their markers' ledger ids. A marker missing from the ledger is an
 * acknowledged call lost: it is answered in `missing` (and that change cannot be judged).
 */
export function bracketed(
  changes: PendingChange[],
  entries: LedgerEntry[],
): { changes: Change[]; missing: string[] } {
  const idOf = new Map(entries.map((e) => [e.idempotencyKey, e.id]));
  const found: Change[] = [];
  const missing: string[] = [];
  for (const c of changes) {
    const before = idOf.get(c.beforeKey);
    const after = idOf.get(c.afterKey);
    if (before === undefined || after === undefined) {
      missing.push(`the markers of "${c.label}" are not in the ledger`);
      continue;
    }
    found.push({ label: c.label, before, after, limits: c.limits });
  }
  return { changes: found, missing };
}
