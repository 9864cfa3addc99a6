import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { CAN } from "../auth";
import { ApiError, errorResponses } from "../errors";
import type { AppEnv } from "../hono";
import { Instant, WorkspaceParams } from "../schemas/common";
import { allow, bearer, jsonBody, jsonResponse, serve, workspaceOf } from "./shared";

const TestClockInput = z.strictObject({ now: Instant }).openapi("TestClockInput");
const TestClock = z.object({ now: z.string(), frozen: z.literal(true) }).openapi("TestClock");

/** Where test clocks are off the route does not exist, whatever the request. */
const testClocksOn: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.env.TEST_CLOCKS !== "on") throw new ApiError("not_found", "Test clocks are off here.");
  await next();
};

const put = createRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/test-clock",
  tags: ["Test clocks"],
  summary: "Freeze or advance this workspace's clock (platform; only where TEST_CLOCKS=on)",
  description:
    "The first call freezes the workspace's clock at any instant; later calls move it forward only and run the due work as the cron would. 404 where test clocks are off.",
  security: bearer,
  middleware: [testClocksOn, allow(CAN.bill)] as const,
  request: { params: WorkspaceParams, body: jsonBody(TestClockInput) },
  responses: {
    200: jsonResponse(TestClock, "The frozen clock"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function testClockRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, put, (c) => workspaceOf(c).setTestClock(Date.parse(c.req.valid("json").now)));
}
