import { z } from "@hono/zod-openapi";
import { CAN } from "../claims";
import { ClockInstant, MAX_PAGE } from "../schemas/common";
import { EventsPage, EventsQuery } from "../schemas/events";
import { Subscription, SubscriptionInput } from "../schemas/subscription";
import { Usage } from "../schemas/usage";
import { operation } from "./operation";

export const putSubscription = operation({
  name: "putSubscription",
  tags: ["Subscription"],
  summary: "Set the workspace's plan, seats and billing anchor (platform)",
  description: "Changes take effect at once. Answers the subscription with its effective limits.",
  roles: CAN.bill,
  body: SubscriptionInput,
  response: Subscription,
  answers: "The subscription and its effective limits",
  createsWorkspace: true,
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.putSubscription(params.ws, body, meta),
});

export const subscription = operation({
  name: "subscription",
  tags: ["Subscription"],
  summary: "Read the subscription and its effective limits",
  roles: CAN.read,
  response: Subscription,
  answers: "The subscription and its effective limits",
  run: (stub) => stub.getSubscription(),
});

export const usage = operation({
  name: "usage",
  tags: ["Usage"],
  summary: "Every limit of the workspace with its current use",
  roles: CAN.read,
  response: Usage,
  answers: "Used and limit (null = unlimited) of every limit",
  run: (stub) => stub.usage(),
});

export const events = operation({
  name: "events",
  tags: ["Events"],
  summary: "The workspace's events in order, after a cursor, with their webhook delivery state",
  description: `Pages of at most ${MAX_PAGE}, oldest first. Events are kept at least 90 days.`,
  roles: CAN.read,
  query: EventsQuery,
  response: EventsPage,
  answers: "Events after the cursor and the cursor of the next page",
  run: (stub, { query }) => stub.events(query.after, query.limit),
});

export const TestClockInput = z.strictObject({ now: ClockInstant }).openapi("TestClockInput");
const TestClock = z.object({ now: z.string(), frozen: z.literal(true) }).openapi("TestClock");

export const setTestClock = operation({
  name: "setTestClock",
  tags: ["Test clocks"],
  summary: "Freeze or advance this workspace's clock (platform; only where TEST_CLOCKS=on)",
  description:
    "The first call freezes the workspace's clock at any instant from 1970-02-01 to 9999-11-30 (so that every instant an answer computes lies within 1970-9999); later calls move it forward only and run the due work as the cron would. 404 where test clocks are off.",
  roles: CAN.bill,
  // Where test clocks are off the operation does not exist, whatever the caller.
  guard: (env) =>
    env.TEST_CLOCKS === "on"
      ? undefined
      : { code: "not_found", message: "Test clocks are off here." },
  body: TestClockInput,
  response: TestClock,
  answers: "The frozen clock",
  // The clock is set outside the idempotency ledger; setting it again to the same instant
  // answers the same, so a retry needs no key.
  run: (stub, { body }) => stub.setTestClock(Date.parse(body.now)),
});
