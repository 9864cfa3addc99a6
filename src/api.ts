import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import { DOCS_CSS, HOME_CSS, type OpenApiDocument, renderDocs } from "./app/docs";
import { HOME_PAGE, LINKS } from "./app/home";
import { OPS_CSS, OPS_PAGE, OPS_SCRIPT } from "./app/ops";
import { BILLING_CSS, BILLING_PAGE, BILLING_SCRIPT } from "./app/page";
import { authenticate, MAX_TOKEN_BYTES, MAX_TOKEN_LIFETIME_SECONDS } from "./auth";
import { ApiError, type ApiErrorBody, ERROR_STATUS, invalid } from "./errors";
import type { AppEnv } from "./hono";
import { fieldIssues } from "./operations/validate";
import { logRequest, logsRequests } from "./requestLog";
import { errorText, faultResponse, requestIdOf } from "./respond";
import { archiveRoutes } from "./routes/archives";
import { exportRoutes } from "./routes/exports";
import { liveRoutes } from "./routes/live";
import { type CatalogueFanOut, registerPlatform } from "./routes/platform";
import { register } from "./routes/shared";
import { matchRoute, PLATFORM_ROUTES, ROUTES } from "./routes/table";

/** The first query parameter whose name or value is no valid percent-encoding (undefined: none). */
function malformedQueryParam(url: string): string | undefined {
  const start = url.indexOf("?");
  if (start < 0) return undefined;
  for (const pair of (url.slice(start + 1).split("#")[0] ?? "").split("&")) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    try {
      decodeURIComponent(name.replaceAll("+", " "));
    } catch {
      return "query";
    }
    try {
      decodeURIComponent(value.replaceAll("+", " "));
    } catch {
      return decodeURIComponent(name.replaceAll("+", " "));
    }
  }
  return undefined;
}

/** The pattern of the handler that answered (not a middleware's `*`); null when none matched. */
function handlerPath(c: Context<AppEnv>): string | null {
  const path = routePath(c, -1);
  return path === "" || path.endsWith("*") ? null : path;
}

export const MAX_BODY_BYTES = 64 * 1024;
/** Batch and lookup calls carry up to 1,000 ids (or channels) of up to 128 characters each. */
const MAX_BULK_BODY_BYTES = 256 * 1024;
const BULK_PATH = /^\/v1\/workspaces\/[^/]+\/(?:entities|channels)\/[^/]+\/(?:batch|lookup)$/;

/** The error shape with the request's id, keeping headers set before the error (`Allow`). */
const errorOf = (
  c: Context<AppEnv>,
  error: ApiErrorBody,
  status: number,
  retryAfterSeconds?: number,
) => {
  c.set("reason", error.code);
  return c.body(errorText(error, c.get("requestId")), status as 400, {
    "content-type": "application/json",
    ...(retryAfterSeconds !== undefined && { "retry-after": String(retryAfterSeconds) }),
  });
};

/**
 * Pages for people (/, /docs, /app) load nothing from elsewhere: their own stylesheet and, for
 * the billing page, its own script, and they may only call this origin.
 */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Quota checker",
    version: "1.0.0",
    description:
      "Answers allow/deny before each metered action of a CRM workspace: AI credits, leads, contacts and companies, channels and AI agents.",
  },
};

function page(c: Context<AppEnv>, html: string) {
  c.header("Content-Security-Policy", PAGE_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  return c.html(html);
}

function asset(c: Context<AppEnv>, body: string, type: string) {
  c.header("Content-Type", `${type}; charset=utf-8`);
  c.header("X-Content-Type-Options", "nosniff");
  // Served with the Worker, so a deploy changes them; revalidate rather than cache stale.
  c.header("Cache-Control", "no-cache");
  return c.body(body);
}

/** Hono route patterns (`/v1/workspaces/:ws/agents/:id`) as regular expressions. */
const patternOf = (path: string) =>
  new RegExp(
    `^${path
      .split("/")
      .map((part) =>
        part === "*"
          ? ".*"
          : part.startsWith(":")
            ? "[^/]+"
            : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/")}/?$`,
  );

/**
 * The methods each known path takes, from the router itself (so a new route needs no list), for
 * the 405 of a wrong method. HEAD is answered wherever GET is (Hono serves it from the GET).
 */
function methodTable(app: OpenAPIHono<AppEnv>) {
  const byPath = new Map<string, Set<string>>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method);
    if (r.method === "GET") methods.add("HEAD");
    byPath.set(r.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({ pattern: patternOf(path), methods }));
}

/**
 * Wired by src/index.ts (src/cron/catalogue.ts, which reaches the due index: not imported here,
 * so that the app loads outside workerd to write the OpenAPI document). An app built without it
 * (tests listing routes, the client generator) fails a publish's fan-out loudly, never silently.
 */
const notWired = async (): Promise<never> => {
  throw new Error("the catalogue's fan-out is not wired: createApp({ fanOut }) (src/index.ts)");
};
const unwired: CatalogueFanOut = { announce: notWired, progress: notWired };

export function createApp({ fanOut = unwired }: { fanOut?: CatalogueFanOut } = {}) {
  const app = new OpenAPIHono<AppEnv>({
    // Validation failures name every failing field, relative to where it was sent.
    defaultHook: (result) => {
      if (result.success) return;
      throw invalid(fieldIssues(result.error));
    },
  });

  // Every response carries the request's id, and every request writes its log line once
  // answered (src/requestLog.ts).
  app.use("*", async (c, next) => {
    const startedAt = Date.now();
    const requestId = requestIdOf(c.req.raw);
    c.set("requestId", requestId);
    c.set("reason", null);
    await next();
    c.res.headers.set("x-request-id", requestId);
    if (logsRequests(c.env)) {
      const match = matchRoute(c.req.method, c.req.path);
      logRequest(c.req.raw, c.res, {
        requestId,
        startedAt,
        reason: c.get("reason"),
        // A route outside the table (the fleet's) by the router's own pattern of it.
        route: match?.route.path ?? handlerPath(c),
        ws: match?.params.ws ?? null,
      });
    }
  });
  // A wrong method on a known path is a 405 before anything else (no token needed to learn it).
  let methods: ReturnType<typeof methodTable> | undefined;
  app.use("*", async (c, next) => {
    methods ??= methodTable(app);
    const path = c.req.path;
    const matching = methods.filter((m) => m.pattern.test(path));
    if (matching.length > 0 && !matching.some((m) => m.methods.has(c.req.method))) {
      const allow = [...new Set(matching.flatMap((m) => [...m.methods]))].sort().join(", ");
      c.header("Allow", allow);
      throw new ApiError(
        "method_not_allowed",
        `${c.req.method} is not allowed on ${path}; it takes ${allow}.`,
      );
    }
    await next();
  });
  app.use("*", async (c, next) => {
    if (!c.env.AUTH_SECRET) {
      throw new ApiError(
        "server_misconfigured",
        "AUTH_SECRET is not set: run `wrangler secret put AUTH_SECRET`. Every request is refused until it is.",
      );
    }
    await next();
  });
  const limitBody = (maxSize: number, what: string) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", `The request body exceeds ${what}.`);
      },
    });
  const bodyOf = limitBody(MAX_BODY_BYTES, "64 KiB");
  const bulkBodyOf = limitBody(MAX_BULK_BODY_BYTES, "256 KiB (a batch or lookup call)");
  app.use("/v1/*", (c, next) => (BULK_PATH.test(c.req.path) ? bulkBodyOf : bodyOf)(c, next));
  // The live socket carries a one-time ticket instead of a bearer token: before the check.
  liveRoutes(app);
  app.use("/v1/workspaces/:ws/*", authenticate);
  app.use("/v1/workspaces/:ws", authenticate);
  app.use("/v1/fleet/*", authenticate);
  app.use("/v1/catalogue", authenticate);
  app.use("/v1/exports", authenticate);
  app.use("/v1/exports/*", authenticate);
  app.use("/v1/catalogue/*", authenticate);
  // A query value that is no valid percent-encoding (`?agentId=%ZZ`) would reach the schemas as
  // its raw text, and a filter that takes any printable id would answer for a value the caller
  // never meant: a 400 naming the parameter instead.
  app.use("/v1/*", async (c, next) => {
    const malformed = malformedQueryParam(c.req.url);
    if (malformed !== undefined) {
      throw invalid([{ path: malformed, message: "is not a valid percent-encoded value" }]);
    }
    await next();
  });

  for (const entry of ROUTES) register(app, entry);
  // Platform operations (the fleet's and the catalogue's: no workspace, the fleet's D1), from
  // the same table, never in the fast lane. A publish or a withdrawal tells the fleet through
  // the due index (the cron's side of it), after the answer.
  for (const entry of PLATFORM_ROUTES) registerPlatform(app, entry, fanOut);
  // The history archive's reads (R2, no object): platform-only, outside the table.
  archiveRoutes(app);
  // The fleet's daily finance exports (R2, no object): platform-only for every workspace.
  exportRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: `HS256 JWT signed with AUTH_SECRET; claims \`ws\` (a workspace id, or \`*\` for every workspace), \`role\` (\`platform\`, \`admin\`, \`service\` or \`viewer\`), \`exp\` (whole seconds since the epoch). Refused with 401 \`unauthenticated\`, saying why: a missing, malformed, wrongly signed or expired token; \`ws: "*"\` on any role but \`platform\`; an \`exp\` more than ${MAX_TOKEN_LIFETIME_SECONDS} seconds (366 days) from now; a token longer than ${MAX_TOKEN_BYTES} bytes (4 KiB), before its signature is checked.`,
  });
  app.doc31("/openapi.json", OPENAPI_CONFIG);

  // The reference is rendered here from the same document, once per isolate: no CDN, no script.
  let docs: string | undefined;
  app.get("/docs", (c) => {
    docs ??= renderDocs(
      app.getOpenAPI31Document(OPENAPI_CONFIG) as unknown as OpenApiDocument,
      "/docs/docs.css",
    );
    return page(c, docs);
  });
  app.get("/docs/docs.css", (c) => asset(c, DOCS_CSS + HOME_CSS, "text/css"));

  // A person gets a page with the two ways in; a client asking for JSON gets the links.
  app.get("/", (c) => {
    const accept = c.req.header("accept") ?? "";
    const html = accept.indexOf("text/html");
    const json = accept.indexOf("application/json");
    if (html === -1 || (json !== -1 && json < html)) return c.json(LINKS);
    return page(c, HOME_PAGE("/docs/docs.css"));
  });

  app.get("/app", (c) => page(c, BILLING_PAGE));
  app.get("/app/app.css", (c) => asset(c, BILLING_CSS, "text/css"));
  app.get("/app/app.js", (c) => asset(c, BILLING_SCRIPT, "text/javascript"));
  app.get("/ops", (c) => page(c, OPS_PAGE));
  app.get("/ops/ops.css", (c) => asset(c, OPS_CSS, "text/css"));
  app.get("/ops/ops.js", (c) => asset(c, OPS_SCRIPT, "text/javascript"));

  app.notFound((c) => errorOf(c, { code: "not_found", message: "No such route." }, 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      const body: ApiErrorBody = { code: error.code, message: error.message };
      if (error.details !== undefined) body.details = error.details;
      return errorOf(c, body, ERROR_STATUS[error.code], error.retryAfterSeconds);
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own parsers (e.g. a malformed JSON body) speak through HTTPException.
      const detail = invalid([{ path: "(body)", message: error.message }]);
      return errorOf(
        c,
        { code: detail.code, message: detail.message, details: detail.details },
        400,
      );
    }
    const fault = faultResponse(error, c.get("requestId"));
    if (fault !== undefined) {
      c.set("reason", "unavailable");
      return fault;
    }
    console.error("unhandled error", error);
    return errorOf(c, { code: "internal_error", message: "Unexpected server error." }, 500);
  });
  return app;
}
