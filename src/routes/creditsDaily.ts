import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import { DailyCredits } from "../schemas/creditsDaily";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const daily = workspaceRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/credits/daily",
  tags: ["AI credits"],
  summary: "Credits charged per day and feature this period (the billing page's chart)",
  description:
    "The credit ledger summed by day and AI feature for the current period, from its start through today: at most 31 days × 7 features, however busy the workspace. The days' sum is the period's `used`.",
  roles: CAN.read,
  response: [DailyCredits, "One entry per day of the period so far"],
});

export function creditsDailyRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, daily, (c) => workspaceOf(c).creditsDaily());
}
