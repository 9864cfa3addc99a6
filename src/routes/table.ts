import * as ops from "../operations";
import type { AnyOperation } from "../operations/operation";
import type { AnyPlatformOperation } from "../operations/platform";
import { WORKSPACE_ID_PATTERN } from "../schemas/patterns";

/**
 * Every HTTP route, once: the operation, its method and its path. The router (src/api.ts) is
 * built from this list, in this order (a literal segment before a parameter in the same place:
 * `{kind}/batch` before `{kind}/{id}`), and so is the fast lane's matcher (src/preflight.ts), so
 * a path cannot be answered by one and missed or read differently by the other. Adding an
 * operation's route is one line here (docs/architecture.md#adding-an-operation).
 */
export interface RouteEntry {
  op: AnyOperation;
  method: "get" | "post" | "put" | "delete";
  /** OpenAPI style: `{ws}` is the workspace, `{name}` any other parameter. */
  path: string;
  /**
   * Answered by the fast lane before the router when the request is plainly valid: every AI
   * request waits for these (docs/benchmarks.md, the hot path).
   */
  fastLane?: true;
}

const ws = "/v1/workspaces/{ws}";

export const ROUTES: readonly RouteEntry[] = [
  { op: ops.putSubscription, method: "put", path: `${ws}/subscription` },
  { op: ops.subscription, method: "get", path: `${ws}/subscription` },
  { op: ops.usage, method: "get", path: `${ws}/usage` },
  { op: ops.setTestClock, method: "put", path: `${ws}/test-clock` },

  { op: ops.createAgent, method: "post", path: `${ws}/agents` },
  { op: ops.activateAgent, method: "post", path: `${ws}/agents/{id}/activate` },
  { op: ops.deactivateAgent, method: "post", path: `${ws}/agents/{id}/deactivate` },
  { op: ops.deleteAgent, method: "delete", path: `${ws}/agents/{id}` },
  { op: ops.agents, method: "get", path: `${ws}/agents` },

  { op: ops.connectChannels, method: "post", path: `${ws}/channels/{kind}/batch` },
  { op: ops.connectChannel, method: "post", path: `${ws}/channels/{kind}` },
  { op: ops.disconnectChannel, method: "delete", path: `${ws}/channels/{kind}/{id}` },
  { op: ops.channels, method: "get", path: `${ws}/channels/{kind}` },

  { op: ops.credits, method: "get", path: `${ws}/credits` },
  { op: ops.creditLedger, method: "get", path: `${ws}/credits/ledger` },
  { op: ops.creditLedgerEntry, method: "get", path: `${ws}/credits/ledger/{seq}` },
  { op: ops.setFeatureLimit, method: "put", path: `${ws}/credits/feature-limits/{feature}` },
  { op: ops.check, method: "post", path: `${ws}/credits/check`, fastLane: true },
  { op: ops.consume, method: "post", path: `${ws}/credits/consume`, fastLane: true },
  { op: ops.reserve, method: "post", path: `${ws}/credits/reservations` },
  { op: ops.reservation, method: "get", path: `${ws}/credits/reservations/{id}` },
  { op: ops.commit, method: "post", path: `${ws}/credits/reservations/{id}/commit` },
  { op: ops.release, method: "post", path: `${ws}/credits/reservations/{id}/release` },
  { op: ops.putCreditPackage, method: "post", path: `${ws}/credit-packages` },
  { op: ops.consumeCopilotQuestion, method: "post", path: `${ws}/copilot-questions/consume` },
  { op: ops.creditsDaily, method: "get", path: `${ws}/credits/daily` },
  { op: ops.creditStatements, method: "get", path: `${ws}/credits/statements` },
  { op: ops.creditStatement, method: "get", path: `${ws}/credits/statements/{periodStart}` },
  { op: ops.setAgentLimit, method: "put", path: `${ws}/credits/agent-limits/{agentId}` },
  { op: ops.putCreditTopup, method: "post", path: `${ws}/credit-topups` },
  { op: ops.alertRules, method: "get", path: `${ws}/credits/alerts` },
  { op: ops.putAlertRule, method: "put", path: `${ws}/credits/alerts/{id}` },
  { op: ops.alertRule, method: "get", path: `${ws}/credits/alerts/{id}` },
  { op: ops.deleteAlertRule, method: "delete", path: `${ws}/credits/alerts/{id}` },

  { op: ops.events, method: "get", path: `${ws}/events` },
  { op: ops.liveTicket, method: "post", path: `${ws}/live/ticket` },

  { op: ops.createEntities, method: "post", path: `${ws}/entities/{kind}/batch` },
  { op: ops.lookupEntities, method: "post", path: `${ws}/entities/{kind}/lookup` },
  { op: ops.createEntity, method: "post", path: `${ws}/entities/{kind}` },
  { op: ops.closeLead, method: "post", path: `${ws}/entities/leads/{id}/close` },
  { op: ops.reopenLead, method: "post", path: `${ws}/entities/leads/{id}/reopen` },
  { op: ops.deleteEntity, method: "delete", path: `${ws}/entities/{kind}/{id}` },
  { op: ops.entity, method: "get", path: `${ws}/entities/{kind}/{id}` },
];

/**
 * A platform operation's route (src/operations/platform.ts): no workspace in the path, only a
 * platform token for every workspace (`ws: "*"`), answered from the fleet's D1. Registered from
 * this list like the workspace routes, after them; never in the fast lane.
 */
export interface PlatformRouteEntry {
  op: AnyPlatformOperation;
  method: "get" | "post" | "put" | "delete";
  path: string;
}

export const PLATFORM_ROUTES: readonly PlatformRouteEntry[] = [
  { op: ops.fleetSummary, method: "get", path: "/v1/fleet/summary" },
  { op: ops.fleetWorkspaces, method: "get", path: "/v1/fleet/workspaces" },
  { op: ops.fleetDecisions, method: "get", path: "/v1/fleet/decisions" },

  { op: ops.catalogue, method: "get", path: "/v1/catalogue" },
  { op: ops.catalogueFanOut, method: "get", path: "/v1/catalogue/fan-out" },
  { op: ops.catalogueVersion, method: "get", path: "/v1/catalogue/versions/{id}" },
  { op: ops.putCatalogueVersion, method: "put", path: "/v1/catalogue/versions/{id}" },
  { op: ops.publishCatalogueVersion, method: "post", path: "/v1/catalogue/versions/{id}/publish" },
  { op: ops.deleteCatalogueVersion, method: "delete", path: "/v1/catalogue/versions/{id}" },
  { op: ops.previewCatalogueVersion, method: "post", path: "/v1/catalogue/versions/{id}/preview" },
];

/** A route a request's method and path matched, with its path parameters. */
export interface RouteMatch {
  route: RouteEntry;
  params: Record<string, string>;
}

/** The workspace id where a path names one: the one pattern (src/schemas/patterns.ts). */
const WORKSPACE_SEGMENT = `(${WORKSPACE_ID_PATTERN.source.replace(/^\^|\$$/g, "")})`;

/**
 * A matcher for these routes: a request's method and raw path (no query) to its route and
 * parameters, the first in table order, as the router picks. `{ws}` matches only a workspace
 * id; any other parameter one non-empty segment, undecoded.
 */
export function routeMatcher(routes: readonly RouteEntry[]) {
  const compiled = routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split("/")
      .map((part) => {
        const name = /^\{(\w+)\}$/.exec(part)?.[1];
        if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
        names.push(name);
        return name === "ws" ? WORKSPACE_SEGMENT : "([^/]+)";
      })
      .join("/");
    return { route, method: route.method.toUpperCase(), pattern: new RegExp(`^${source}$`), names };
  });
  return (method: string, path: string): RouteMatch | undefined => {
    for (const { route, method: m, pattern, names } of compiled) {
      if (m !== method) continue;
      const found = pattern.exec(path);
      if (found === null) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = found[i + 1] as string;
      });
      return { route, params };
    }
    return undefined;
  };
}

/** Every route's matcher: names the route of a request's log line (src/requestLog.ts). */
export const matchRoute = routeMatcher(ROUTES);
