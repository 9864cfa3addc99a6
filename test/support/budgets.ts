import { expect } from "vitest";
import { api, type CallOptions, call } from "./helpers";

// Budgets inside the pool: agents, agent caps, top-ups and alert rules over HTTP.

const service = (opts: CallOptions): CallOptions => ({ role: "service", ...opts });

export async function createAgents(ws: string, ...ids: string[]) {
  for (const id of ids) {
    const r = await call("POST", `${api(ws)}/agents`, { role: "admin", body: { id, name: id } });
    expect(r.status).toBe(200);
  }
}

export const deleteAgent = (ws: string, id: string) =>
  call("DELETE", `${api(ws)}/agents/${id}`, { role: "admin" });

export const setAgentLimit = (ws: string, agentId: string, limit: number | null) =>
  call("PUT", `${api(ws)}/credits/agent-limits/${agentId}`, { role: "admin", body: { limit } });

/** A spend body naming an agent (or none). */
const spend = (feature: string, credits: number, agentId?: string, extra = {}) => ({
  feature,
  credits,
  ...(agentId === undefined ? {} : { agentId }),
  ...extra,
});

export const checkAs = (ws: string, agentId: string | undefined, feature: string, n: number) =>
  call("POST", `${api(ws)}/credits/check`, service({ body: spend(feature, n, agentId) }));

export const consumeAs = (
  ws: string,
  agentId: string | undefined,
  feature: string,
  n: number,
  opts: CallOptions = {},
) =>
  call(
    "POST",
    `${api(ws)}/credits/consume`,
    service({ body: spend(feature, n, agentId), ...opts }),
  );

export const reserveAs = (ws: string, agentId: string | undefined, feature: string, n: number) =>
  call(
    "POST",
    `${api(ws)}/credits/reservations`,
    service({ body: spend(feature, n, agentId, { ttlSeconds: 600 }) }),
  );

export const postTopup = (ws: string, body: Record<string, unknown>) =>
  call("POST", `${api(ws)}/credit-topups`, { role: "platform", body });

export const putRule = (ws: string, id: string, body: Record<string, unknown>) =>
  call("PUT", `${api(ws)}/credits/alerts/${id}`, { role: "admin", body });

/** The credits view's figures a budget test reads. */
export async function figures(ws: string) {
  const r = await call("GET", `${api(ws)}/credits`, { role: "viewer" });
  expect(r.status).toBe(200);
  const v = r.json;
  return {
    used: v.used as number,
    held: v.held as number,
    remaining: v.remaining as number,
    poolRemaining: v.poolRemaining as number,
    topupRemaining: v.topupRemaining as number,
    // biome-ignore lint/suspicious/noExplicitAny: the view's entries, as the schema checked them
    topups: Object.fromEntries(v.topups.map((t: any) => [t.id, [t.used, t.held, t.remaining]])),
    // biome-ignore lint/suspicious/noExplicitAny: as above
    agents: Object.fromEntries(v.agents.map((a: any) => [a.agentId, a])),
  };
}
