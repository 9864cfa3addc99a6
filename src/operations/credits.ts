import { CAN } from "../claims";
import {
  CommitInput,
  Committed,
  CreditsOverview,
  FeatureCredits,
  FeatureLimitInput,
  FeatureParams,
  LedgerEntry,
  LedgerEntryParams,
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
import { DailyCredits } from "../schemas/creditsDaily";
import { operation } from "./operation";

const tags = ["AI credits"];
// A reservation is closed once, so a second commit or release, or a late one, is refused.
const reservationErrors = [
  "reservation_not_found",
  "reservation_already_committed",
  "reservation_already_released",
  "reservation_expired",
] as const;

export const credits = operation({
  name: "credits",
  tags,
  summary: "The credit pool this period: balance, packages, use and every feature's cap",
  roles: CAN.read,
  response: CreditsOverview,
  answers: "The pool, its active packages and every AI feature",
  run: (stub) => stub.credits(),
});

export const creditLedger = operation({
  name: "creditLedger",
  tags,
  summary: "The credit ledger in order: every debit, hold, commit, release and expiry",
  description:
    "The audit trail behind the pool's figures, oldest first, a page after a cursor. Each entry stays here until its UTC day is 62 days past, then is in the archive (GET archives, platform): `archived` says which sequences. With `order=newest` or a filter (`feature`, `kind`, `agentId`) it is the ledger view: its cursors belong to that order and those filters, and `from` starts the first page at a receipt's sequence.",
  roles: CAN.read,
  query: LedgerQuery,
  response: LedgerPage,
  answers: "Ledger entries after the cursor and the cursor of the next page",
  run: (stub, { query }) => stub.creditLedger(query),
});

export const creditLedgerEntry = operation({
  name: "creditLedgerEntry",
  tags,
  summary: "One ledger entry by its sequence: what a receipt names",
  description:
    "Every credit decision carries `receipt: {seq, at}`; this answers the entry `seq` names. An entry past its retention was archived first: 410 `ledger_entry_archived`, with the path of the workspace's archives in `details.archives`.",
  roles: CAN.read,
  params: LedgerEntryParams,
  response: LedgerEntry,
  answers: "The ledger entry",
  errors: ["ledger_entry_archived"],
  run: (stub, { params }) => stub.creditLedgerEntry(params.seq),
});

export const creditsDaily = operation({
  name: "creditsDaily",
  tags,
  summary: "Credits charged per day and feature this period (the billing page's chart)",
  description:
    "The credit ledger summed by day and AI feature for the current period, from its start through today: at most 31 days × 7 features, however busy the workspace. The days' sum is the period's `used`.",
  roles: CAN.read,
  response: DailyCredits,
  answers: "One entry per day of the period so far",
  run: (stub) => stub.creditsDaily(),
});

export const setFeatureLimit = operation({
  name: "setFeatureLimit",
  tags,
  summary: "Cap a feature's credits per period, 0 to stop it, null to uncap (admin)",
  description: "A cap reserves nothing; a cap below what the feature used this period stops it.",
  roles: CAN.administer,
  params: FeatureParams,
  body: FeatureLimitInput,
  response: FeatureCredits,
  answers: "The feature with its new cap",
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.setFeatureLimit(params.feature, body.limit, meta),
});

export const check = operation({
  name: "check",
  tags,
  summary: "May this feature spend these credits now? (service; changes nothing)",
  description:
    "The same decision a consume would take, without spending and without any storage write.",
  roles: CAN.serve,
  body: SpendInput,
  response: SpendDecision,
  answers: "The decision, allowed or refused, with its figures",
  // A check changes nothing, so there is nothing for an Idempotency-Key to protect.
  run: (stub, { body }) => stub.checkCredits(body),
  json: (stub, { body }) => stub.checkCreditsJson(body),
});

export const consume = operation({
  name: "consume",
  tags,
  summary: "Spend credits if allowed: check and debit in one atomic step (service)",
  description: "Debits exactly when the decision is allowed; a refused spend changes nothing.",
  roles: CAN.serve,
  body: SpendInput,
  response: SpendDecision,
  answers: "The decision, allowed or refused, with its figures",
  idempotent: true,
  run: (stub, { body }, meta) => stub.consumeCredits(body, meta),
});

export const reserve = operation({
  name: "reserve",
  tags,
  summary: "Hold an estimate for a call whose cost is known afterwards (service)",
  description:
    "Allowed like a consume; the hold counts against remaining until committed, released or expired.",
  roles: CAN.serve,
  body: ReserveInput,
  response: ReserveDecision,
  answers: "The decision, with the reservation when allowed",
  idempotent: true,
  run: (stub, { body }, meta) => stub.reserveCredits(body, meta),
});

export const reservation = operation({
  name: "reservation",
  tags,
  summary: "A reservation and its state",
  roles: CAN.read,
  params: ReservationParams,
  response: Reservation,
  answers: "The reservation",
  run: (stub, { params }) => stub.getReservation(params.id),
});

export const commit = operation({
  name: "commit",
  tags,
  summary: "Charge a reservation's actual cost, even above the estimate (service)",
  roles: CAN.serve,
  params: ReservationParams,
  body: CommitInput,
  response: Committed,
  answers: "What was charged and the pool after it",
  errors: reservationErrors,
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.commitReservation(params.id, body.credits, meta),
});

export const release = operation({
  name: "release",
  tags,
  summary: "Free a reservation's hold without charging (service)",
  roles: CAN.serve,
  params: ReservationParams,
  response: Released,
  answers: "The freed hold and the pool after it",
  errors: reservationErrors,
  idempotent: true,
  run: (stub, { params }, meta) => stub.releaseReservation(params.id, meta),
});

export const putCreditPackage = operation({
  name: "putCreditPackage",
  tags,
  summary: "Add or update a credit package (platform)",
  description:
    "Posting an existing id replaces its credits and expiry. A package counts while now < expiresAt.",
  roles: CAN.bill,
  body: PackageInput,
  response: PackageAnswer,
  answers: "The package and the balance with it",
  errors: ["too_many_packages"],
  idempotent: true,
  run: (stub, { body }, meta) => stub.putCreditPackage(body, meta),
});

export const consumeCopilotQuestion = operation({
  name: "consumeCopilotQuestion",
  tags,
  summary: "Count one Copilot Kommo question if the monthly limit allows (service)",
  roles: CAN.serve,
  response: QuestionDecision,
  answers: "The decision, with the counter after it",
  idempotent: true,
  run: (stub, _input, meta) => stub.consumeCopilotQuestion(meta),
});
