import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import { errorResponses } from "../errors";
import type { AppEnv } from "../hono";
import { IdempotencyHeader, WorkspaceParams } from "../schemas/common";
import { Subscription, SubscriptionInput } from "../schemas/subscription";
import { allow, bearer, jsonBody, jsonResponse, serve, workspaceOf } from "./shared";

const put = createRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/subscription",
  tags: ["Subscription"],
  summary: "Set the workspace's plan, seats and billing anchor (platform)",
  description: "Changes take effect at once. Answers the subscription with its effective limits.",
  security: bearer,
  middleware: [allow(CAN.bill)] as const,
  request: {
    params: WorkspaceParams,
    headers: IdempotencyHeader,
    body: jsonBody(SubscriptionInput),
  },
  responses: {
    200: jsonResponse(Subscription, "The subscription and its effective limits"),
    ...errorResponses("invalid_request", "forbidden", "idempotency_conflict"),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/subscription",
  tags: ["Subscription"],
  summary: "Read the subscription and its effective limits",
  security: bearer,
  middleware: [allow(CAN.read)] as const,
  request: { params: WorkspaceParams },
  responses: {
    200: jsonResponse(Subscription, "The subscription and its effective limits"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function subscriptionRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, put, (c) =>
    workspaceOf(c).putSubscription(c.req.valid("param").ws, c.req.valid("json"), c.get("call")),
  );
  serve(app, get, (c) => workspaceOf(c).getSubscription());
}
