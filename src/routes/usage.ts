import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import { errorResponses } from "../errors";
import type { AppEnv } from "../hono";
import { WorkspaceParams } from "../schemas/common";
import { Usage } from "../schemas/usage";
import { allow, bearer, jsonResponse, serve, workspaceOf } from "./shared";

const get = createRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/usage",
  tags: ["Usage"],
  summary: "Every limit of the workspace with its current use",
  security: bearer,
  middleware: [allow(CAN.read)] as const,
  request: { params: WorkspaceParams },
  responses: {
    200: jsonResponse(Usage, "Used and limit (null = unlimited) of every limit"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function usageRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, get, (c) => workspaceOf(c).usage());
}
