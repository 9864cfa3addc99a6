import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import { Usage } from "../schemas/usage";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const get = workspaceRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/usage",
  tags: ["Usage"],
  summary: "Every limit of the workspace with its current use",
  roles: CAN.read,
  response: [Usage, "Used and limit (null = unlimited) of every limit"],
});

export function usageRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, get, (c) => workspaceOf(c).usage());
}
