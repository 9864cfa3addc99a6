/**
 * The operator page's calls: the fleet routes, typed by the generated client's `paths`
 * (src/client/openapi.ts), so a field renamed on the server fails `npm run typecheck` here.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "../../client/openapi";

export type Schemas = components["schemas"];
export type FleetSummary = Schemas["FleetSummary"];
export type FleetWorkspace = Schemas["FleetWorkspace"];
export type FleetPage = Schemas["FleetPage"];
export type FleetDecisions = Schemas["FleetDecisions"];
export type CatalogueList = Schemas["CatalogueList"];
export type CatalogueVersion = Schemas["CatalogueVersion"];
export type CataloguePreview = Schemas["CataloguePreview"];
export type ListQuery = NonNullable<paths["/v1/fleet/workspaces"]["get"]["parameters"]["query"]>;

/** A call that did not answer: its HTTP status (0: no answer) and the error's code and message. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

async function answer<T>(pending: Promise<Answer<T>>): Promise<T> {
  let result: Answer<T>;
  try {
    result = await pending;
  } catch {
    throw new Problem(0, null, "The service did not answer.");
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  const error = (result.error as { error?: { code?: string; message?: string } } | undefined)
    ?.error;
  throw new Problem(
    result.response.status,
    error?.code ?? null,
    error?.message ?? `HTTP ${result.response.status}`,
  );
}

/** Every call the page makes, with one token. */
export function connect(token: string) {
  // Same origin only (the CSP's connect-src 'self'); never a cached figure.
  const client = createClient<paths>({ baseUrl: location.origin, cache: "no-store" });
  const headers = { authorization: `Bearer ${token}` };
  return {
    summary: () => answer(client.GET("/v1/fleet/summary", { headers })),
    list: (query: ListQuery) =>
      answer(client.GET("/v1/fleet/workspaces", { params: { query }, headers })),
    decisions: (from: string, to: string) =>
      answer(client.GET("/v1/fleet/decisions", { params: { query: { from, to } }, headers })),
    catalogue: () => answer(client.GET("/v1/catalogue", { headers })),
    fanOut: () => answer(client.GET("/v1/catalogue/fan-out", { headers })),
    version: (id: string) =>
      answer(client.GET("/v1/catalogue/versions/{id}", { params: { path: { id } }, headers })),
    preview: (id: string) =>
      answer(
        client.POST("/v1/catalogue/versions/{id}/preview", {
          params: { path: { id }, query: {} },
          body: {},
          headers,
        }),
      ) as Promise<CataloguePreview>,
    publish: (id: string, effectiveAt: string) =>
      answer(
        client.POST("/v1/catalogue/versions/{id}/publish", {
          params: { path: { id } },
          body: { effectiveAt },
          headers,
        }),
      ),
    withdraw: (id: string) =>
      answer(client.DELETE("/v1/catalogue/versions/{id}", { params: { path: { id } }, headers })),
  };
}

export type Api = ReturnType<typeof connect>;
