/**
 * The page's calls to the public API, typed by the generated client's `paths`
 * (src/client/openapi.ts, from the same zod schemas the routes validate with): a field renamed
 * on the server fails `npm run typecheck` here. The page branches on an error's `code` and
 * `details.reason` only; the `message` is shown to people at most, never parsed.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "../../client/openapi";
import type { ErrorCode } from "../../outcome";
import type { AiFeature } from "../../policy/catalogue";

export type Schemas = components["schemas"];
export type Subscription = Schemas["Subscription"];
export type Usage = Schemas["Usage"];
export type Credits = Schemas["Credits"];
export type FeatureCredits = Schemas["FeatureCredits"];
export type DailyCredits = Schemas["DailyCredits"];
export type StatementList = Schemas["CreditStatementList"];
export type AgentList = Schemas["AgentList"];
export type Agent = Schemas["Agent"];
export type AgentDecision = Schemas["AgentDecision"];
/** What the live socket sends (docs/billing-page.md#live-figures). */
export type LiveFigures = Schemas["LiveFigures"];
/** One entry of the credit ledger, as a receipt names it. */
export type LedgerEntry = Schemas["CreditLedgerEntry"];
/** A page of the ledger (docs/billing-page.md#the-ledger), and what the page asks for. */
export type LedgerPage = Schemas["CreditLedgerPage"];
export type LedgerView = NonNullable<
  paths["/v1/workspaces/{ws}/credits/ledger"]["get"]["parameters"]["query"]
>;
export type AgentCredits = Schemas["AgentCredits"];
/** Why a token was refused (every 401's `details.reason`, docs/api.md#tokens-and-roles). */
export type TokenRefusal = Schemas["UnauthenticatedDetails"]["reason"];
export type ForbiddenReason = Schemas["ForbiddenDetails"]["reason"];

/** The error shape of every refused call (docs/api.md#errors). */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** A call that did not answer what was asked: no answer at all, or an error answer. */
export class Problem extends Error {
  constructor(
    readonly kind: "network" | "http" | "bug",
    readonly status: number,
    readonly error: ErrorBody | null,
    /** Which call, relative to the workspace (`/subscription`), for what the answer means. */
    readonly call: string,
  ) {
    super(error?.message ?? kind);
  }

  get code(): ErrorCode | null {
    return this.error?.code ?? null;
  }

  /** `details.reason` of a 401 or 403, when the service gave one. */
  get reason(): string | null {
    const details = this.error?.details;
    if (typeof details !== "object" || details === null || !("reason" in details)) return null;
    return typeof details.reason === "string" ? details.reason : null;
  }

  /** The people's words for each failing field of a 400 (its `details`), if any. */
  get fieldMessages(): string[] {
    const details = this.error?.details;
    if (!Array.isArray(details)) return [];
    return details.flatMap((d: unknown) =>
      typeof d === "object" && d !== null && "message" in d && typeof d.message === "string"
        ? [d.message]
        : [],
    );
  }
}

const errorBodyOf = (json: unknown): ErrorBody | null => {
  if (typeof json !== "object" || json === null || !("error" in json)) return null;
  const error = json.error;
  return typeof error === "object" && error !== null && "code" in error && "message" in error
    ? (error as ErrorBody)
    : null;
};

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

async function answer<T>(call: string, pending: Promise<Answer<T>>): Promise<T> {
  let result: Answer<T>;
  try {
    result = await pending;
  } catch {
    throw new Problem("network", 0, null, call);
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  throw new Problem("http", result.response.status, errorBodyOf(result.error), call);
}

/** Every call the page makes, for one token and one workspace. */
export function connect(token: string, ws: string) {
  // Same origin only (the CSP's connect-src 'self'); never a cached figure.
  const client = createClient<paths>({ baseUrl: location.origin, cache: "no-store" });
  const headers = { authorization: `Bearer ${token}` };
  const path = { ws };
  return {
    subscription: () =>
      answer(
        "/subscription",
        client.GET("/v1/workspaces/{ws}/subscription", { params: { path }, headers }),
      ),
    usage: () =>
      answer("/usage", client.GET("/v1/workspaces/{ws}/usage", { params: { path }, headers })),
    credits: () =>
      answer("/credits", client.GET("/v1/workspaces/{ws}/credits", { params: { path }, headers })),
    daily: () =>
      answer(
        "/credits/daily",
        client.GET("/v1/workspaces/{ws}/credits/daily", { params: { path }, headers }),
      ),
    statements: () =>
      answer(
        "/credits/statements",
        client.GET("/v1/workspaces/{ws}/credits/statements", {
          params: { path, query: { limit: 24 } },
          headers,
        }),
      ),
    /** One statement as CSV (text): fetched with the token, for a download. */
    statementCsv: async (periodStart: string) => {
      const r = await fetch(
        `${location.origin}/v1/workspaces/${encodeURIComponent(ws)}/credits/statements/${encodeURIComponent(periodStart)}?format=csv`,
        { headers, cache: "no-store" },
      );
      if (!r.ok) throw new Problem("http", r.status, null, "/credits/statements");
      return r.text();
    },
    agents: () =>
      answer("/agents", client.GET("/v1/workspaces/{ws}/agents", { params: { path }, headers })),
    ledger: (query: LedgerView) =>
      answer(
        "/credits/ledger",
        client.GET("/v1/workspaces/{ws}/credits/ledger", { params: { path, query }, headers }),
      ),
    ledgerEntry: (seq: number) =>
      answer(
        "/credits/ledger",
        client.GET("/v1/workspaces/{ws}/credits/ledger/{seq}", {
          params: { path: { ws, seq } },
          headers,
        }),
      ),
    liveTicket: () =>
      answer(
        "/live/ticket",
        client.POST("/v1/workspaces/{ws}/live/ticket", { params: { path }, headers }),
      ),
    setFeatureLimit: (feature: AiFeature, limit: number | null) =>
      answer(
        "/credits/feature-limits",
        client.PUT("/v1/workspaces/{ws}/credits/feature-limits/{feature}", {
          params: { path: { ws, feature } },
          headers,
          body: { limit },
        }),
      ),
    setAgentLimit: (agentId: string, limit: number | null) =>
      answer(
        "/credits/agent-limits",
        client.PUT("/v1/workspaces/{ws}/credits/agent-limits/{agentId}", {
          params: { path: { ws, agentId } },
          headers,
          body: { limit },
        }),
      ),
    createAgent: (id: string, name: string) =>
      answer(
        "/agents",
        client.POST("/v1/workspaces/{ws}/agents", {
          params: { path },
          headers,
          body: { id, name },
        }),
      ),
    activate: (id: string) =>
      answer(
        "/agents/activate",
        client.POST("/v1/workspaces/{ws}/agents/{id}/activate", {
          params: { path: { ws, id } },
          headers,
        }),
      ),
    deactivate: (id: string) =>
      answer(
        "/agents/deactivate",
        client.POST("/v1/workspaces/{ws}/agents/{id}/deactivate", {
          params: { path: { ws, id } },
          headers,
        }),
      ),
  };
}

export type Api = ReturnType<typeof connect>;
