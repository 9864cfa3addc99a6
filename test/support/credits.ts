import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { WorkspaceObject } from "../../src/workspace/object";
import { api, type CallOptions, call, setClock, subscribe } from "./helpers";

/** A workspace with a frozen clock and a subscription (Pro × 3 on the 15th by default). */
export async function setup(
  ws: string,
  subscription: Record<string, unknown> = {
    plan: "pro",
    seats: 3,
    periodAnchor: "2026-07-15T00:00:00.000Z",
  },
  now = "2026-07-20T00:00:00.000Z",
) {
  expect((await setClock(ws, now)).status).toBe(200);
  const sub = await subscribe(ws, subscription);
  expect(sub.status).toBe(200);
}

const service = (opts: CallOptions): CallOptions => ({ role: "service", ...opts });

export const credits = (ws: string) => call("GET", `${api(ws)}/credits`, { role: "viewer" });
export const usage = (ws: string) => call("GET", `${api(ws)}/usage`, { role: "viewer" });

export const check = (ws: string, feature: string, n: number, opts: CallOptions = {}) =>
  call("POST", `${api(ws)}/credits/check`, service({ body: { feature, credits: n }, ...opts }));

export const consume = (ws: string, feature: string, n: number, opts: CallOptions = {}) =>
  call("POST", `${api(ws)}/credits/consume`, service({ body: { feature, credits: n }, ...opts }));

export const reserve = (
  ws: string,
  feature: string,
  n: number,
  ttlSeconds?: number,
  opts: CallOptions = {},
) =>
  call(
    "POST",
    `${api(ws)}/credits/reservations`,
    service({ body: { feature, credits: n, ...(ttlSeconds ? { ttlSeconds } : {}) }, ...opts }),
  );

export const commit = (ws: string, id: string, n: number, opts: CallOptions = {}) =>
  call(
    "POST",
    `${api(ws)}/credits/reservations/${id}/commit`,
    service({ body: { credits: n }, ...opts }),
  );

export const release = (ws: string, id: string, opts: CallOptions = {}) =>
  call("POST", `${api(ws)}/credits/reservations/${id}/release`, service(opts));

export const setLimit = (ws: string, feature: string, limit: unknown, opts: CallOptions = {}) =>
  call("PUT", `${api(ws)}/credits/feature-limits/${feature}`, {
    role: "admin",
    body: { limit },
    ...opts,
  });

export const postPackage = (ws: string, body: Record<string, unknown>, opts: CallOptions = {}) =>
  call("POST", `${api(ws)}/credit-packages`, { body, ...opts });

export const askQuestion = (ws: string, opts: CallOptions = {}) =>
  call("POST", `${api(ws)}/copilot-questions/consume`, service(opts));

type Row = Record<string, number | string | null>;

/** Runs SQL inside the workspace's object (test inspection only). */
export function inObject<T>(ws: string, fn: (sql: SqlStorage, instance: WorkspaceObject) => T) {
  return runInDurableObject(env.WORKSPACE.getByName(ws), (instance: WorkspaceObject, state) =>
    fn(state.storage.sql, instance),
  );
}

export const rows = (sql: SqlStorage, query: string, ...params: unknown[]): Row[] =>
  sql.exec(query, ...params).toArray() as Row[];

/**
 * The hot-path counters and the same figures summed from the ledger: used per period and
 * feature (debits + commits), held per feature (holds with no commit, release or expiry),
 * questions per period.
 */
export const countersAndLedger = (ws: string) =>
  inObject(ws, (sql) => {
    const sorted = (r: Row[]) => r.map((x) => JSON.stringify(x)).sort((a, b) => (a < b ? -1 : 1));
    return {
      counters: {
        used: sorted(
          rows(
            sql,
            "SELECT period_start AS p, feature AS f, used AS n FROM credit_usage WHERE used <> 0",
          ),
        ),
        held: sorted(rows(sql, "SELECT feature AS f, held AS n FROM credit_holds WHERE held <> 0")),
        questions: sorted(rows(sql, "SELECT period_start AS p, used AS n FROM copilot_questions")),
      },
      ledger: {
        used: sorted(
          rows(
            sql,
            `SELECT period_start AS p, feature AS f, SUM(credits) AS n FROM credit_ledger
             WHERE kind IN ('debit', 'commit') GROUP BY period_start, feature HAVING n <> 0`,
          ),
        ),
        held: sorted(
          rows(
            sql,
            `SELECT h.feature AS f, SUM(h.credits) AS n FROM credit_ledger h
             WHERE h.kind = 'hold' AND NOT EXISTS (
               SELECT 1 FROM credit_ledger c WHERE c.reservation_id = h.reservation_id
               AND c.kind IN ('commit', 'release', 'expire'))
             GROUP BY h.feature`,
          ),
        ),
        questions: sorted(
          rows(
            sql,
            `SELECT period_start AS p, SUM(credits) AS n FROM credit_ledger
             WHERE kind = 'question' GROUP BY period_start`,
          ),
        ),
      },
    };
  });

/** Asserts that the counters equal the ledger's sums, and answers them for further checks. */
export async function expectCountersMatchLedger(ws: string) {
  const both = await countersAndLedger(ws);
  expect(both.counters).toEqual(both.ledger);
  return both;
}
