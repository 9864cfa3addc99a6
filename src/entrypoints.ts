import { WorkerEntrypoint } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import { announceCatalogue, fanOutProgress } from "./cron/catalogue";
import type { Env } from "./env";
import * as ops from "./operations";
import { type Caller, type CallOptions, invoke, type Result } from "./operations/invoke";
import type { AnswerOf, Operation } from "./operations/operation";
import {
  type AnyPlatformOperation,
  invokePlatform,
  type PlatformResult,
} from "./operations/platform";

/**
 * The service-binding ways in. A Worker in the same account binds one of them in its
 * wrangler.toml (`[[services]] … entrypoint = "QuotaService"`) and calls its methods: the
 * entrypoint it binds is its power, there is no token. Every method runs the same operation as
 * the HTTP route of the same name (src/operations/): the same validation, decision,
 * idempotency and JSON. A caller's mistake, or an unavailable workspace, is answered as
 * `{ error: { code, message, details? } }`, never thrown. A mutation answered from its
 * `idempotencyKey` (a replay) carries `replayed: true`, where HTTP sends `Idempotent-Replayed`.
 *
 * Methods take the workspace id first, then the path's other ids, then the body (or a list's
 * query), then `{ idempotencyKey }` for a mutation. Nothing but these methods is defined on the
 * classes: every method of an entrypoint is callable by its caller.
 */

type Answer<O> = Promise<Result<AnswerOf<O>>>;
// biome-ignore lint/suspicious/noExplicitAny: matches any operation to extract one part's type
type AnyOp = Operation<string, z.ZodType, any, any, any>;
type BodyOf<O extends AnyOp> = z.input<NonNullable<O["body"]>>;
type QueryOf<O extends AnyOp> = z.input<NonNullable<O["query"]>>;
type ParamOf<O extends AnyOp, K extends string> = K extends keyof z.input<O["params"]>
  ? z.input<O["params"]>[K]
  : never;

/** A platform operation's input (its answer: PlatformResult, src/operations/platform.ts). */
type PBody<O extends AnyPlatformOperation> = z.input<NonNullable<O["body"]>>;
type PQuery<O extends AnyPlatformOperation> = z.input<NonNullable<O["query"]>>;

/**
 * Runs a platform operation for QuotaPlatform; a publish or a withdrawal is announced to the due
 * index before the answer, as over HTTP (`env` read from outside, as `ctx` in `roleOf`).
 */
function platformCall<O extends AnyPlatformOperation>(
  entrypoint: QuotaPlatform,
  op: O,
  raw: { params?: unknown; query?: unknown; body?: unknown },
) {
  const { env } = entrypoint as unknown as { env: Env };
  const announce = async () => {
    if (env.CATALOGUE_FAN_OUT !== "off") await announceCatalogue(env);
  };
  return invokePlatform(env, op, raw, { announce, fanOutProgress: () => fanOutProgress(env) });
}

/**
 * Who a binding's caller is: the platform's entrypoint may do everything, QuotaService acts as
 * `service` in every workspace, and QuotaWorkspace as `service` in the one workspace its
 * binding's `props` name.
 */
const roleOf = (entrypoint: QuotaService): Caller => {
  if (entrypoint instanceof QuotaPlatform) return "platform";
  if (!(entrypoint instanceof QuotaWorkspace)) return "service";
  // `ctx` is protected, and a helper method would be callable over RPC: read it from outside.
  const { ctx } = entrypoint as unknown as { ctx: { props?: { workspace?: unknown } } };
  const props = ctx.props;
  const workspace = props?.workspace;
  return { role: "service", workspace: typeof workspace === "string" ? workspace : undefined };
};

/**
 * What a product's Worker may do (the `service` role): spend and check credits, count Copilot
 * questions, report leads, contacts, companies and channels, and read every figure.
 */
export class QuotaService extends WorkerEntrypoint<Env> {
  // ---- credits -----------------------------------------------------------------------------

  /** May this feature spend these credits now? Changes nothing. */
  check(ws: string, body: BodyOf<typeof ops.check>): Answer<typeof ops.check> {
    return invoke(this.env, roleOf(this), ops.check, { params: { ws }, body });
  }

  /** Spends the credits if allowed: check and debit in one atomic step. */
  consume(
    ws: string,
    body: BodyOf<typeof ops.consume>,
    options?: CallOptions,
  ): Answer<typeof ops.consume> {
    return invoke(this.env, roleOf(this), ops.consume, { params: { ws }, body }, options);
  }

  /** Holds an estimate for a call whose cost is known afterwards. */
  reserve(
    ws: string,
    body: BodyOf<typeof ops.reserve>,
    options?: CallOptions,
  ): Answer<typeof ops.reserve> {
    return invoke(this.env, roleOf(this), ops.reserve, { params: { ws }, body }, options);
  }

  /** Charges a reservation's actual cost, even above the estimate. */
  commit(
    ws: string,
    reservationId: string,
    body: BodyOf<typeof ops.commit>,
    options?: CallOptions,
  ): Answer<typeof ops.commit> {
    const params = { ws, id: reservationId };
    return invoke(this.env, roleOf(this), ops.commit, { params, body }, options);
  }

  /** Frees a reservation's hold without charging. */
  release(ws: string, reservationId: string, options?: CallOptions): Answer<typeof ops.release> {
    const params = { ws, id: reservationId };
    return invoke(this.env, roleOf(this), ops.release, { params }, options);
  }

  /** A reservation and its state. */
  reservation(ws: string, reservationId: string): Answer<typeof ops.reservation> {
    return invoke(this.env, roleOf(this), ops.reservation, { params: { ws, id: reservationId } });
  }

  /** Counts one Copilot question if the monthly limit allows. */
  consumeCopilotQuestion(
    ws: string,
    options?: CallOptions,
  ): Answer<typeof ops.consumeCopilotQuestion> {
    const op = ops.consumeCopilotQuestion;
    return invoke(this.env, roleOf(this), op, { params: { ws } }, options);
  }

  /** The credit pool this period: balance, packages, use and every feature's cap. */
  credits(ws: string): Answer<typeof ops.credits> {
    return invoke(this.env, roleOf(this), ops.credits, { params: { ws } });
  }

  /** Credits charged per day and feature this period. */
  creditsDaily(ws: string): Answer<typeof ops.creditsDaily> {
    return invoke(this.env, roleOf(this), ops.creditsDaily, { params: { ws } });
  }

  /** A page of the credit ledger after a cursor (`{ after?, limit? }`). */
  creditLedger(
    ws: string,
    query?: QueryOf<typeof ops.creditLedger>,
  ): Answer<typeof ops.creditLedger> {
    return invoke(this.env, roleOf(this), ops.creditLedger, { params: { ws }, query });
  }

  /** Closed periods' statements, newest first (`{ before?, limit? }`). */
  creditStatements(
    ws: string,
    query?: QueryOf<typeof ops.creditStatements>,
  ): Answer<typeof ops.creditStatements> {
    return invoke(this.env, roleOf(this), ops.creditStatements, { params: { ws }, query });
  }

  /** One closed period's statement (JSON; CSV is HTTP's `?format=csv`). */
  creditStatement(ws: string, periodStart: string): Answer<typeof ops.creditStatement> {
    return invoke(this.env, roleOf(this), ops.creditStatement, { params: { ws, periodStart } });
  }

  /** A one-time ticket (30 s) to open this workspace's live figures as a WebSocket. */
  liveTicket(ws: string): Answer<typeof ops.liveTicket> {
    return invoke(this.env, roleOf(this), ops.liveTicket, { params: { ws } });
  }

  /** The ledger entry a receipt's `seq` names. */
  creditLedgerEntry(ws: string, seq: number): Answer<typeof ops.creditLedgerEntry> {
    return invoke(this.env, roleOf(this), ops.creditLedgerEntry, { params: { ws, seq } });
  }

  /** A credit alert rule with its figure now. */
  alertRule(ws: string, id: string): Answer<typeof ops.alertRule> {
    return invoke(this.env, roleOf(this), ops.alertRule, { params: { ws, id } });
  }

  /** The credit alert rules, with their figures now. */
  alertRules(ws: string): Answer<typeof ops.alertRules> {
    return invoke(this.env, roleOf(this), ops.alertRules, { params: { ws } });
  }

  // ---- leads, contacts and companies -------------------------------------------------------

  /** Records a new lead, contact or company and answers its status (never refused). */
  createEntity(
    ws: string,
    kind: ParamOf<typeof ops.createEntity, "kind">,
    body: BodyOf<typeof ops.createEntity>,
    options?: CallOptions,
  ): Answer<typeof ops.createEntity> {
    const params = { ws, kind };
    return invoke(this.env, roleOf(this), ops.createEntity, { params, body }, options);
  }

  /**
   * Records up to 1,000 entities of a kind in order, in one transaction, as single creates
   * would (`{ ids }`); a whole batch retried with the same key is recorded once.
   */
  createEntities(
    ws: string,
    kind: ParamOf<typeof ops.createEntities, "kind">,
    body: BodyOf<typeof ops.createEntities>,
    options?: CallOptions,
  ): Answer<typeof ops.createEntities> {
    const params = { ws, kind };
    return invoke(this.env, roleOf(this), ops.createEntities, { params, body }, options);
  }

  /** The status of up to 1,000 entities at once (`{ ids }`); `unknown` for one never reported. */
  lookupEntities(
    ws: string,
    kind: ParamOf<typeof ops.lookupEntities, "kind">,
    body: BodyOf<typeof ops.lookupEntities>,
  ): Answer<typeof ops.lookupEntities> {
    return invoke(this.env, roleOf(this), ops.lookupEntities, { params: { ws, kind }, body });
  }

  /** Closes a lead as won or lost: it stops counting. */
  closeLead(
    ws: string,
    id: string,
    body: BodyOf<typeof ops.closeLead>,
    options?: CallOptions,
  ): Answer<typeof ops.closeLead> {
    return invoke(this.env, roleOf(this), ops.closeLead, { params: { ws, id }, body }, options);
  }

  /** Reopens a closed lead: it counts again, decided like a create. */
  reopenLead(ws: string, id: string, options?: CallOptions): Answer<typeof ops.reopenLead> {
    return invoke(this.env, roleOf(this), ops.reopenLead, { params: { ws, id } }, options);
  }

  /** Deletes a lead, contact or company: it stops counting. */
  deleteEntity(
    ws: string,
    kind: ParamOf<typeof ops.deleteEntity, "kind">,
    id: string,
    options?: CallOptions,
  ): Answer<typeof ops.deleteEntity> {
    const params = { ws, kind, id };
    return invoke(this.env, roleOf(this), ops.deleteEntity, { params }, options);
  }

  /** An entity's status and whether its data is accessible. */
  entity(
    ws: string,
    kind: ParamOf<typeof ops.entity, "kind">,
    id: string,
  ): Answer<typeof ops.entity> {
    return invoke(this.env, roleOf(this), ops.entity, { params: { ws, kind, id } });
  }

  // ---- channels ----------------------------------------------------------------------------

  /** Connects a WhatsApp number or an Instagram account (never refused). */
  connectChannel(
    ws: string,
    kind: ParamOf<typeof ops.connectChannel, "kind">,
    body: BodyOf<typeof ops.connectChannel>,
    options?: CallOptions,
  ): Answer<typeof ops.connectChannel> {
    const params = { ws, kind };
    return invoke(this.env, roleOf(this), ops.connectChannel, { params, body }, options);
  }

  /**
   * Connects up to 1,000 channels of a kind in order, in one transaction (`{ channels }`); only
   * QuotaPlatform may import them with a past `connectedAt`.
   */
  connectChannels(
    ws: string,
    kind: ParamOf<typeof ops.connectChannels, "kind">,
    body: BodyOf<typeof ops.connectChannels>,
    options?: CallOptions,
  ): Answer<typeof ops.connectChannels> {
    const params = { ws, kind };
    return invoke(this.env, roleOf(this), ops.connectChannels, { params, body }, options);
  }

  /** Disconnects a channel; an active one frees its place at once. */
  disconnectChannel(
    ws: string,
    kind: ParamOf<typeof ops.disconnectChannel, "kind">,
    id: string,
    options?: CallOptions,
  ): Answer<typeof ops.disconnectChannel> {
    const params = { ws, kind, id };
    return invoke(this.env, roleOf(this), ops.disconnectChannel, { params }, options);
  }

  /** A page of the channels of a kind (`{ after?, pageSize? }`), with the kind's usage. */
  channels(
    ws: string,
    kind: ParamOf<typeof ops.channels, "kind">,
    query?: QueryOf<typeof ops.channels>,
  ): Answer<typeof ops.channels> {
    return invoke(this.env, roleOf(this), ops.channels, { params: { ws, kind }, query });
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The subscription and its effective limits. */
  subscription(ws: string): Answer<typeof ops.subscription> {
    return invoke(this.env, roleOf(this), ops.subscription, { params: { ws } });
  }

  /** Every limit of the workspace with its current use. */
  usage(ws: string): Answer<typeof ops.usage> {
    return invoke(this.env, roleOf(this), ops.usage, { params: { ws } });
  }

  /** The AI agents with the active and total figures. */
  agents(ws: string): Answer<typeof ops.agents> {
    return invoke(this.env, roleOf(this), ops.agents, { params: { ws } });
  }

  /** A page of the workspace's events after a cursor (`{ after?, limit? }`). */
  events(ws: string, query?: QueryOf<typeof ops.events>): Answer<typeof ops.events> {
    return invoke(this.env, roleOf(this), ops.events, { params: { ws }, query });
  }
}

/**
 * QuotaService for one workspace: the same methods, acting as `service` only in the workspace
 * named by its binding's `props` (`[[services]] … entrypoint = "QuotaWorkspace"`,
 * `props = { workspace = "acme" }`); a call for any other workspace is `forbidden`, as a token
 * for another workspace is over HTTP, and a binding without that prop is refused everything.
 * For a caller that should not reach every workspace (docs/integration.md).
 */
export class QuotaWorkspace extends QuotaService {}

/**
 * Everything, as the platform (billing and the CRM's back office): all of QuotaService plus
 * subscriptions, credit packages, feature limits, AI agents and, where on, test clocks.
 */
export class QuotaPlatform extends QuotaService {
  /** Sets the workspace's plan, seats and billing anchor; creates the workspace. */
  putSubscription(
    ws: string,
    body: BodyOf<typeof ops.putSubscription>,
    options?: CallOptions,
  ): Answer<typeof ops.putSubscription> {
    return invoke(this.env, roleOf(this), ops.putSubscription, { params: { ws }, body }, options);
  }

  /** Adds or updates a credit package. */
  putCreditPackage(
    ws: string,
    body: BodyOf<typeof ops.putCreditPackage>,
    options?: CallOptions,
  ): Answer<typeof ops.putCreditPackage> {
    const op = ops.putCreditPackage;
    return invoke(this.env, roleOf(this), op, { params: { ws }, body }, options);
  }

  /** Caps a feature's credits per period (`{ limit }`: 0 stops it, null uncaps it). */
  setFeatureLimit(
    ws: string,
    feature: ParamOf<typeof ops.setFeatureLimit, "feature">,
    body: BodyOf<typeof ops.setFeatureLimit>,
    options?: CallOptions,
  ): Answer<typeof ops.setFeatureLimit> {
    const params = { ws, feature };
    return invoke(this.env, roleOf(this), ops.setFeatureLimit, { params, body }, options);
  }

  /** Sells a one-off top-up (`{ id, credits, expiresAt }`), idempotent by id. */
  putCreditTopup(
    ws: string,
    body: BodyOf<typeof ops.putCreditTopup>,
    options?: CallOptions,
  ): Answer<typeof ops.putCreditTopup> {
    const op = ops.putCreditTopup;
    return invoke(this.env, roleOf(this), op, { params: { ws }, body }, options);
  }

  /** Caps an agent's credits per period (`{ limit }`: 0 stops it, null uncaps it). */
  setAgentLimit(
    ws: string,
    agentId: string,
    body: BodyOf<typeof ops.setAgentLimit>,
    options?: CallOptions,
  ): Answer<typeof ops.setAgentLimit> {
    const params = { ws, agentId };
    return invoke(this.env, roleOf(this), ops.setAgentLimit, { params, body }, options);
  }

  /** Sets a credit alert rule (`{ metric, threshold, scope }`). */
  putAlertRule(
    ws: string,
    id: string,
    body: BodyOf<typeof ops.putAlertRule>,
    options?: CallOptions,
  ): Answer<typeof ops.putAlertRule> {
    const params = { ws, id };
    return invoke(this.env, roleOf(this), ops.putAlertRule, { params, body }, options);
  }

  /** Deletes a credit alert rule. */
  deleteAlertRule(
    ws: string,
    id: string,
    options?: CallOptions,
  ): Answer<typeof ops.deleteAlertRule> {
    return invoke(this.env, roleOf(this), ops.deleteAlertRule, { params: { ws, id } }, options);
  }

  /** Creates an AI agent as a draft. */
  createAgent(
    ws: string,
    body: BodyOf<typeof ops.createAgent>,
    options?: CallOptions,
  ): Answer<typeof ops.createAgent> {
    return invoke(this.env, roleOf(this), ops.createAgent, { params: { ws }, body }, options);
  }

  /** Activates an AI agent if the plan's active limit allows. */
  activateAgent(ws: string, id: string, options?: CallOptions): Answer<typeof ops.activateAgent> {
    return invoke(this.env, roleOf(this), ops.activateAgent, { params: { ws, id } }, options);
  }

  /** Deactivates an AI agent: it frees its active slot at once. */
  deactivateAgent(
    ws: string,
    id: string,
    options?: CallOptions,
  ): Answer<typeof ops.deactivateAgent> {
    return invoke(this.env, roleOf(this), ops.deactivateAgent, { params: { ws, id } }, options);
  }

  /** Deletes an AI agent. */
  deleteAgent(ws: string, id: string, options?: CallOptions): Answer<typeof ops.deleteAgent> {
    return invoke(this.env, roleOf(this), ops.deleteAgent, { params: { ws, id } }, options);
  }

  /** Freezes or advances the workspace's clock (only where TEST_CLOCKS=on). */
  setTestClock(ws: string, body: BodyOf<typeof ops.setTestClock>): Answer<typeof ops.setTestClock> {
    return invoke(this.env, roleOf(this), ops.setTestClock, { params: { ws }, body });
  }

  // ---- the fleet and the catalogue: platform operations over every workspace ----------------

  /** The fleet index's summary (docs/fleet.md). */
  fleetSummary() {
    return platformCall(this, ops.fleetSummary, {});
  }

  /** A page of the fleet's workspaces, filtered and sorted (`{ plan?, limit?, state?, … }`). */
  fleetWorkspaces(query?: PQuery<typeof ops.fleetWorkspaces>) {
    return platformCall(this, ops.fleetWorkspaces, { query });
  }

  /** Decisions by reason per hour, fleet-wide (`{ from?, to?, plan? }`). */
  fleetDecisions(query?: PQuery<typeof ops.fleetDecisions>) {
    return platformCall(this, ops.fleetDecisions, { query });
  }

  /** Every catalogue version with its status now (docs/catalogue.md). */
  catalogue() {
    return platformCall(this, ops.catalogue, {});
  }
  /** How far the fan-out of the latest publish or withdrawal has come, shard by shard. */
  catalogueFanOut() {
    return platformCall(this, ops.catalogueFanOut, {});
  }

  /** One catalogue version with every plan's terms. */
  catalogueVersion(id: string) {
    return platformCall(this, ops.catalogueVersion, { params: { id } });
  }

  /** Writes a draft version (`{ plans, featureCosts }`); a published one is locked. */
  putCatalogueVersion(id: string, body: PBody<typeof ops.putCatalogueVersion>) {
    return platformCall(this, ops.putCatalogueVersion, { params: { id }, body });
  }

  /** Schedules a draft (`{ effectiveAt }`, at least 10 minutes ahead); tells the fleet. */
  publishCatalogueVersion(id: string, body: PBody<typeof ops.publishCatalogueVersion>) {
    return platformCall(this, ops.publishCatalogueVersion, { params: { id }, body });
  }

  /** Deletes a draft, or withdraws a scheduled version any time before it applies. */
  deleteCatalogueVersion(id: string) {
    return platformCall(this, ops.deleteCatalogueVersion, { params: { id } });
  }

  /** The impact preview (`{ asOf? }`); `{ format: "csv" }` answers `{ csv }`, the full list. */
  previewCatalogueVersion(
    id: string,
    body?: PBody<typeof ops.previewCatalogueVersion>,
    query?: PQuery<typeof ops.previewCatalogueVersion>,
  ): Promise<
    PlatformResult<z.output<typeof ops.previewCatalogueVersion.response> | { csv: string }>
  > {
    return platformCall(this, ops.previewCatalogueVersion, { params: { id }, body, query });
  }
}
