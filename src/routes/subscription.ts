import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import { Subscription, SubscriptionInput } from "../schemas/subscription";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const put = workspaceRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/subscription",
  tags: ["Subscription"],
  summary: "Set the workspace's plan, seats and billing anchor (platform)",
  description: "Changes take effect at once. Answers the subscription with its effective limits.",
  roles: CAN.bill,
  body: SubscriptionInput,
  response: [Subscription, "The subscription and its effective limits"],
  createsWorkspace: true,
});

const get = workspaceRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/subscription",
  tags: ["Subscription"],
  summary: "Read the subscription and its effective limits",
  roles: CAN.read,
  response: [Subscription, "The subscription and its effective limits"],
});

export function subscriptionRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, put, (c) =>
    workspaceOf(c).putSubscription(c.req.valid("param").ws, c.req.valid("json"), c.get("call")),
  );
  serve(app, get, (c) => workspaceOf(c).getSubscription());
}
