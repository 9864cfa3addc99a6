import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { CAN } from "../auth";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono";
import { Instant } from "../schemas/common";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const TestClockInput = z.strictObject({ now: Instant }).openapi("TestClockInput");
const TestClock = z.object({ now: z.string(), frozen: z.literal(true) }).openapi("TestClock");

/** Where test clocks are off the route does not exist, whatever the request. */
const testClocksOn: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.env.TEST_CLOCKS !== "on") throw new ApiError("not_found", "Test clocks are off here.");
  await next();
};

const put = workspaceRoute({
  method: "put",
  path: "/v1/workspaces/{ws}/test-clock",
  tags: ["Test clocks"],
  summary: "Freeze or advance this workspace's clock (platform; only where TEST_CLOCKS=on)",
  description:
    "The first call freezes the workspace's clock at any instant; later calls move it forward only and run the due work as the cron would. 404 where test clocks are off.",
  roles: CAN.bill,
  before: [testClocksOn],
  body: TestClockInput,
  response: [TestClock, "The frozen clock"],
  // The clock is set outside the idempotency ledger; setting it again to the same instant
  // answers the same, so a retry needs no key.
  idempotent: false,
});

export function testClockRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, put, (c) => workspaceOf(c).setTestClock(Date.parse(c.req.valid("json").now)));
}
