import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { BILLING_PAGE } from "./app/page";
import { authenticate, MAX_TOKEN_LIFETIME_SECONDS } from "./auth";
import {
  ApiError,
  type ApiErrorBody,
  ERROR_STATUS,
  faultError,
  invalid,
  objectFault,
  RETRY_AFTER_SECONDS,
} from "./errors";
import type { AppEnv } from "./hono";
import { fieldIssues } from "./operations/validate";
import { agentsRoutes } from "./routes/agents";
import { channelRoutes } from "./routes/channels";
import { creditsRoutes } from "./routes/credits";
import { entitiesRoutes } from "./routes/entities";
import { eventsRoutes } from "./routes/events";
import { subscriptionRoutes } from "./routes/subscription";
import { testClockRoutes } from "./routes/testClock";
import { usageRoutes } from "./routes/usage";

const MAX_BODY_BYTES = 64 * 1024;

const errorJson = (error: ApiErrorBody) => ({ error });

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    // Validation failures name every failing field, relative to where it was sent.
    defaultHook: (result) => {
      if (result.success) return;
      throw invalid(fieldIssues(result.error));
    },
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
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("payload_too_large", "The request body exceeds 64 KiB.");
      },
    }),
  );
  app.use("/v1/workspaces/:ws/*", authenticate);
  app.use("/v1/workspaces/:ws", authenticate);

  subscriptionRoutes(app);
  usageRoutes(app);
  testClockRoutes(app);
  agentsRoutes(app);
  channelRoutes(app);
  creditsRoutes(app);
  eventsRoutes(app);
  entitiesRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: `HS256 JWT signed with AUTH_SECRET; claims \`ws\` (a workspace id, or \`*\` for every workspace), \`role\` (\`platform\`, \`admin\`, \`service\` or \`viewer\`), \`exp\` (whole seconds since the epoch). Refused with 401 \`unauthenticated\`, saying why: a missing, malformed, wrongly signed or expired token; \`ws: "*"\` on any role but \`platform\`; an \`exp\` more than ${MAX_TOKEN_LIFETIME_SECONDS} seconds (366 days) from now.`,
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Quota checker",
      version: "1.0.0",
      description:
        "Answers allow/deny before each metered action of a CRM workspace: AI credits, leads, contacts and companies, channels and AI agents.",
    },
  });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Quota checker API" }));
  app.get("/app", (c) => {
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    );
    return c.html(BILLING_PAGE);
  });

  app.notFound((c) => c.json(errorJson({ code: "not_found", message: "No such route." }), 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      const body: ApiErrorBody = { code: error.code, message: error.message };
      if (error.details !== undefined) body.details = error.details;
      return c.json(errorJson(body), ERROR_STATUS[error.code]);
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own parsers (e.g. a malformed JSON body) speak through HTTPException.
      const detail = invalid([{ path: "(body)", message: error.message }]);
      return c.json(
        errorJson({ code: detail.code, message: detail.message, details: detail.details }),
        400,
      );
    }
    // The workspace object failed or could not be reached: the call was not decided, so it is
    // never an allow. A 503 tells the caller to retry later (a mutation with its Idempotency-Key:
    // the object may have applied it before failing, and the key replays that answer).
    const fault = objectFault(error);
    if (fault !== undefined) {
      console.error(`workspace object ${fault}`, error);
      c.header("Retry-After", String(RETRY_AFTER_SECONDS[fault]));
      return c.json(errorJson(faultError(fault)), 503);
    }
    console.error("unhandled error", error);
    return c.json(errorJson({ code: "internal_error", message: "Unexpected server error." }), 500);
  });
  return app;
}
