import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import { errorResponses } from "../errors";
import type { AppEnv } from "../hono";
import { IdempotencyHeader, WorkspaceParams } from "../schemas/common";
import {
  CommitInput,
  Committed,
  CreditsOverview,
  FeatureCredits,
  FeatureLimitInput,
  FeatureParams,
  PackageAnswer,
  PackageInput,
  QuestionDecision,
  Released,
  Reservation,
  ReservationParams,
  ReserveDecision,
  ReserveInput,
  SpendDecision,
  SpendInput,
} from "../schemas/credits";
import { allow, bearer, jsonBody, jsonResponse, serve, workspaceOf } from "./shared";

const tags = ["AI credits"];
const base = "/v1/workspaces/{ws}";
const reservationErrors = [
  "reservation_not_found",
  "reservation_already_committed",
  "reservation_already_released",
  "reservation_expired",
] as const;

const overview = createRoute({
  method: "get",
  path: `${base}/credits`,
  tags,
  summary: "The credit pool this period: balance, packages, use and every feature's cap",
  security: bearer,
  middleware: [allow(CAN.read)] as const,
  request: { params: WorkspaceParams },
  responses: {
    200: jsonResponse(CreditsOverview, "The pool, its active packages and every AI feature"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

const featureLimit = createRoute({
  method: "put",
  path: `${base}/credits/feature-limits/{feature}`,
  tags,
  summary: "Cap a feature's credits per period, 0 to stop it, null to uncap (admin)",
  description: "A cap reserves nothing; a cap below what the feature used this period stops it.",
  security: bearer,
  middleware: [allow(CAN.administer)] as const,
  request: { params: FeatureParams, headers: IdempotencyHeader, body: jsonBody(FeatureLimitInput) },
  responses: {
    200: jsonResponse(FeatureCredits, "The feature with its new cap"),
    ...errorResponses("invalid_request", "forbidden", "not_found", "idempotency_conflict"),
  },
});

const spendRoute = (action: "check" | "consume", summary: string, description: string) =>
  createRoute({
    method: "post",
    path: `${base}/credits/${action}`,
    tags,
    summary,
    description,
    security: bearer,
    middleware: [allow(CAN.serve)] as const,
    request: { params: WorkspaceParams, headers: IdempotencyHeader, body: jsonBody(SpendInput) },
    responses: {
      200: jsonResponse(SpendDecision, "The decision, allowed or refused, with its figures"),
      ...errorResponses("invalid_request", "forbidden", "not_found", "idempotency_conflict"),
    },
  });

const check = spendRoute(
  "check",
  "May this feature spend these credits now? (service; changes nothing)",
  "The same decision a consume would take, without spending and without any storage write.",
);
const consume = spendRoute(
  "consume",
  "Spend credits if allowed: check and debit in one atomic step (service)",
  "Debits exactly when the decision is allowed; a refused spend changes nothing.",
);

const reserve = createRoute({
  method: "post",
  path: `${base}/credits/reservations`,
  tags,
  summary: "Hold an estimate for a call whose cost is known afterwards (service)",
  description:
    "Allowed like a consume; the hold counts against remaining until committed, released or expired.",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: WorkspaceParams, headers: IdempotencyHeader, body: jsonBody(ReserveInput) },
  responses: {
    200: jsonResponse(ReserveDecision, "The decision, with the reservation when allowed"),
    ...errorResponses("invalid_request", "forbidden", "not_found", "idempotency_conflict"),
  },
});

const reservation = createRoute({
  method: "get",
  path: `${base}/credits/reservations/{id}`,
  tags,
  summary: "A reservation and its state",
  security: bearer,
  middleware: [allow(CAN.read)] as const,
  request: { params: ReservationParams },
  responses: {
    200: jsonResponse(Reservation, "The reservation"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

const commit = createRoute({
  method: "post",
  path: `${base}/credits/reservations/{id}/commit`,
  tags,
  summary: "Charge a reservation's actual cost, even above the estimate (service)",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: ReservationParams, headers: IdempotencyHeader, body: jsonBody(CommitInput) },
  responses: {
    200: jsonResponse(Committed, "What was charged and the pool after it"),
    ...errorResponses(
      "invalid_request",
      "forbidden",
      "not_found",
      "idempotency_conflict",
      ...reservationErrors,
    ),
  },
});

const release = createRoute({
  method: "post",
  path: `${base}/credits/reservations/{id}/release`,
  tags,
  summary: "Free a reservation's hold without charging (service)",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: ReservationParams, headers: IdempotencyHeader },
  responses: {
    200: jsonResponse(Released, "The freed hold and the pool after it"),
    ...errorResponses(
      "invalid_request",
      "forbidden",
      "not_found",
      "idempotency_conflict",
      ...reservationErrors,
    ),
  },
});

const packages = createRoute({
  method: "post",
  path: `${base}/credit-packages`,
  tags,
  summary: "Add or update a credit package (platform)",
  description:
    "Posting an existing id replaces its credits and expiry. A package counts while now < expiresAt.",
  security: bearer,
  middleware: [allow(CAN.bill)] as const,
  request: { params: WorkspaceParams, headers: IdempotencyHeader, body: jsonBody(PackageInput) },
  responses: {
    200: jsonResponse(PackageAnswer, "The package and the balance with it"),
    ...errorResponses(
      "invalid_request",
      "forbidden",
      "not_found",
      "idempotency_conflict",
      "too_many_packages",
    ),
  },
});

const question = createRoute({
  method: "post",
  path: `${base}/copilot-questions/consume`,
  tags,
  summary: "Count one Copilot Kommo question if the monthly limit allows (service)",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: WorkspaceParams, headers: IdempotencyHeader },
  responses: {
    200: jsonResponse(QuestionDecision, "The decision, with the counter after it"),
    ...errorResponses("invalid_request", "forbidden", "not_found", "idempotency_conflict"),
  },
});

export function creditsRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, overview, (c) => workspaceOf(c).credits());
  serve(app, featureLimit, (c) =>
    workspaceOf(c).setFeatureLimit(
      c.req.valid("param").feature,
      c.req.valid("json").limit,
      c.get("call"),
    ),
  );
  serve(app, check, (c) => workspaceOf(c).checkCredits(c.req.valid("json")));
  serve(app, consume, (c) => workspaceOf(c).consumeCredits(c.req.valid("json"), c.get("call")));
  serve(app, reserve, (c) => workspaceOf(c).reserveCredits(c.req.valid("json"), c.get("call")));
  serve(app, reservation, (c) => workspaceOf(c).getReservation(c.req.valid("param").id));
  serve(app, commit, (c) =>
    workspaceOf(c).commitReservation(
      c.req.valid("param").id,
      c.req.valid("json").credits,
      c.get("call"),
    ),
  );
  serve(app, release, (c) =>
    workspaceOf(c).releaseReservation(c.req.valid("param").id, c.get("call")),
  );
  serve(app, packages, (c) => workspaceOf(c).putCreditPackage(c.req.valid("json"), c.get("call")));
  serve(app, question, (c) => workspaceOf(c).consumeCopilotQuestion(c.get("call")));
}
