import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import {
  CommitInput,
  Committed,
  CreditsOverview,
  FeatureCredits,
  FeatureLimitInput,
  FeatureParams,
  LedgerPage,
  LedgerQuery,
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
import { serve, workspaceOf, workspaceRoute } from "./shared";

const tags = ["AI credits"];
const base = "/v1/workspaces/{ws}";
// A reservation is closed once, so a second commit or release, or a late one, is refused.
const reservationErrors = [
  "reservation_not_found",
  "reservation_already_committed",
  "reservation_already_released",
  "reservation_expired",
] as const;

const overview = workspaceRoute({
  method: "get",
  path: `${base}/credits`,
  tags,
  summary: "The credit pool this period: balance, packages, use and every feature's cap",
  roles: CAN.read,
  response: [CreditsOverview, "The pool, its active packages and every AI feature"],
});

const ledger = workspaceRoute({
  method: "get",
  path: `${base}/credits/ledger`,
  tags,
  summary: "The credit ledger in order: every debit, hold, commit, release and expiry",
  description:
    "The audit trail behind the pool's figures, oldest first, a page after a cursor. Kept 400 days.",
  roles: CAN.read,
  query: LedgerQuery,
  response: [LedgerPage, "Ledger entries after the cursor and the cursor of the next page"],
});

const featureLimit = workspaceRoute({
  method: "put",
  path: `${base}/credits/feature-limits/{feature}`,
  tags,
  summary: "Cap a feature's credits per period, 0 to stop it, null to uncap (admin)",
  description: "A cap reserves nothing; a cap below what the feature used this period stops it.",
  roles: CAN.administer,
  params: FeatureParams,
  body: FeatureLimitInput,
  response: [FeatureCredits, "The feature with its new cap"],
});

const spendRoute = (action: "check" | "consume", summary: string, description: string) =>
  workspaceRoute({
    method: "post",
    path: `${base}/credits/${action}`,
    tags,
    summary,
    description,
    roles: CAN.serve,
    body: SpendInput,
    response: [SpendDecision, "The decision, allowed or refused, with its figures"],
    // A check changes nothing, so there is nothing for an Idempotency-Key to protect.
    idempotent: action === "consume" ? undefined : false,
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

const reserve = workspaceRoute({
  method: "post",
  path: `${base}/credits/reservations`,
  tags,
  summary: "Hold an estimate for a call whose cost is known afterwards (service)",
  description:
    "Allowed like a consume; the hold counts against remaining until committed, released or expired.",
  roles: CAN.serve,
  body: ReserveInput,
  response: [ReserveDecision, "The decision, with the reservation when allowed"],
});

const reservation = workspaceRoute({
  method: "get",
  path: `${base}/credits/reservations/{id}`,
  tags,
  summary: "A reservation and its state",
  roles: CAN.read,
  params: ReservationParams,
  response: [Reservation, "The reservation"],
});

const commit = workspaceRoute({
  method: "post",
  path: `${base}/credits/reservations/{id}/commit`,
  tags,
  summary: "Charge a reservation's actual cost, even above the estimate (service)",
  roles: CAN.serve,
  params: ReservationParams,
  body: CommitInput,
  response: [Committed, "What was charged and the pool after it"],
  errors: reservationErrors,
});

const release = workspaceRoute({
  method: "post",
  path: `${base}/credits/reservations/{id}/release`,
  tags,
  summary: "Free a reservation's hold without charging (service)",
  roles: CAN.serve,
  params: ReservationParams,
  response: [Released, "The freed hold and the pool after it"],
  errors: reservationErrors,
});

const packages = workspaceRoute({
  method: "post",
  path: `${base}/credit-packages`,
  tags,
  summary: "Add or update a credit package (platform)",
  description:
    "Posting an existing id replaces its credits and expiry. A package counts while now < expiresAt.",
  roles: CAN.bill,
  body: PackageInput,
  response: [PackageAnswer, "The package and the balance with it"],
  errors: ["too_many_packages"],
});

const question = workspaceRoute({
  method: "post",
  path: `${base}/copilot-questions/consume`,
  tags,
  summary: "Count one Copilot Kommo question if the monthly limit allows (service)",
  roles: CAN.serve,
  response: [QuestionDecision, "The decision, with the counter after it"],
});

export function creditsRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, overview, (c) => workspaceOf(c).credits());
  serve(app, ledger, (c) => {
    const { after, limit } = c.req.valid("query");
    return workspaceOf(c).creditLedger(after, limit);
  });
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
