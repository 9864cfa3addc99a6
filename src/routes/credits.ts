import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono";
import * as ops from "../operations/credits";
import { answer, route } from "./shared";

const base = "/v1/workspaces/{ws}";

export function creditsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route(ops.credits, "get", `${base}/credits`), (c) =>
    answer(c, ops.credits, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.creditLedger, "get", `${base}/credits/ledger`), (c) =>
    answer(c, ops.creditLedger, { params: c.req.valid("param"), query: c.req.valid("query") }),
  );
  app.openapi(route(ops.setFeatureLimit, "put", `${base}/credits/feature-limits/{feature}`), (c) =>
    answer(c, ops.setFeatureLimit, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.check, "post", `${base}/credits/check`), (c) =>
    answer(c, ops.check, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.consume, "post", `${base}/credits/consume`), (c) =>
    answer(c, ops.consume, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.reserve, "post", `${base}/credits/reservations`), (c) =>
    answer(c, ops.reserve, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.reservation, "get", `${base}/credits/reservations/{id}`), (c) =>
    answer(c, ops.reservation, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.commit, "post", `${base}/credits/reservations/{id}/commit`), (c) =>
    answer(c, ops.commit, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.release, "post", `${base}/credits/reservations/{id}/release`), (c) =>
    answer(c, ops.release, { params: c.req.valid("param") }),
  );
  app.openapi(route(ops.putCreditPackage, "post", `${base}/credit-packages`), (c) =>
    answer(c, ops.putCreditPackage, { params: c.req.valid("param"), body: c.req.valid("json") }),
  );
  app.openapi(route(ops.consumeCopilotQuestion, "post", `${base}/copilot-questions/consume`), (c) =>
    answer(c, ops.consumeCopilotQuestion, { params: c.req.valid("param") }),
  );
}
