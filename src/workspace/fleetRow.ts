import type { FleetRow, LimitFigures } from "../policy/fleet";
import {
  DECISION_RETENTION_MS,
  type DecisionCounts,
  decisionEntries,
  hourOf,
} from "../policy/fleet";
import type { Instant } from "../policy/time";
import type { WorkspaceContext } from "./context";
import { usageView } from "./usage";

// The workspace's row in the fleet index and the D1 statements of one report (docs/fleet.md):
// what src/workspace/fleet.ts sends from the alarm.

const PENDING_SQL =
  "SELECT COUNT(*) AS n, MIN(recorded_at) AS oldest FROM events WHERE delivery_status = 'pending'";

const figures = (u: {
  used: number;
  limit: number | null;
  state: LimitFigures["state"];
  graceEndsAt: string | null;
}): LimitFigures => ({
  used: u.used,
  limit: u.limit,
  state: u.state,
  graceEndsAt: u.graceEndsAt === null ? null : Date.parse(u.graceEndsAt),
});

/** The workspace's row, as GET usage sees it at the context's `now`, with its webhook backlog. */
export function fleetRow(ctx: WorkspaceContext): FleetRow {
  const u = usageView(ctx);
  const pending = ctx.store.one<{ n: number; oldest: number | null }>(PENDING_SQL);
  const agentsFull = u.agents.limit !== null && u.agents.used >= u.agents.limit;
  return {
    workspaceId: ctx.subscription.workspaceId,
    plan: ctx.subscription.plan,
    catalogueVersion: ctx.subscription.catalogueVersion ?? null,
    seats: ctx.subscription.seats,
    subscribedAt: ctx.subscription.subscribedAt,
    overrides: ctx.subscription.overrides,
    limits: {
      leads: figures(u.leads),
      contactsAndCompanies: figures(u.contactsAndCompanies),
      whatsapp: figures(u.whatsapp),
      instagram: figures(u.instagram),
      // Agents have no grace: at the active limit every activation is refused (docs/rules.md,
      // "AI agents"), which is what `enforced` says of the other limits.
      agents: {
        used: u.agents.used,
        limit: u.agents.limit,
        state: agentsFull ? "enforced" : "ok",
        graceEndsAt: null,
      },
    },
    grandfathered: { whatsapp: u.whatsapp.grandfathered, instagram: u.instagram.grandfathered },
    credits: { used: u.credits.used, balance: u.credits.limit, percent: u.credits.percentUsed },
    questions: { used: u.copilotQuestions.used, limit: u.copilotQuestions.limit },
    agents: { active: u.agents.used, total: u.agents.total },
    webhooks: { pending: pending?.n ?? 0, oldestAt: pending?.oldest ?? null },
  };
}

const COLUMNS = [
  "workspace_id",
  "plan",
  "catalogue_version",
  "seats",
  ...(["leads", "contacts", "whatsapp", "instagram", "agents"] as const).flatMap((c) => [
    `${c}_used`,
    `${c}_limit`,
    `${c}_state`,
    `${c}_grace_ends_at`,
  ]),
  "agents_total",
  "credits_used",
  "credits_balance",
  "credits_percent",
  "questions_used",
  "questions_limit",
  "webhooks_pending",
  "webhooks_oldest_at",
  "reported_at",
  "report_seq",
  "subscribed_at",
  "overrides",
  "whatsapp_grandfathered",
  "instagram_grandfathered",
] as const;

const UPSERT_ROW = `INSERT INTO fleet_workspaces (${COLUMNS.join(", ")})
  VALUES (${COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (workspace_id) DO UPDATE SET ${COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(", ")}
  WHERE excluded.report_seq >= fleet_workspaces.report_seq`;

const ADD_DECISIONS = `INSERT INTO fleet_decisions (hour, plan, reason, count)
  SELECT ?, ?, ?, ? WHERE NOT EXISTS
    (SELECT 1 FROM fleet_workspaces WHERE workspace_id = ? AND report_seq >= ?)
  ON CONFLICT (hour, plan, reason) DO UPDATE SET count = count + excluded.count`;

const PRUNE_DECISIONS = "DELETE FROM fleet_decisions WHERE hour < ?";

function rowValues(row: FleetRow, reportedAt: Instant, seq: number) {
  const l = row.limits;
  return [
    row.workspaceId,
    row.plan,
    row.catalogueVersion,
    row.seats,
    ...[l.leads, l.contactsAndCompanies, l.whatsapp, l.instagram, l.agents].flatMap((f) => [
      f.used,
      f.limit,
      f.state,
      f.graceEndsAt,
    ]),
    row.agents.total,
    row.credits.used,
    row.credits.balance,
    row.credits.percent,
    row.questions.used,
    row.questions.limit,
    row.webhooks.pending,
    row.webhooks.oldestAt,
    reportedAt,
    seq,
    row.subscribedAt,
    JSON.stringify(row.overrides),
    row.grandfathered.whatsapp,
    row.grandfathered.instagram,
  ];
}

/** The one D1 batch (one transaction) of a report: its decisions, its row, the pruning. */
export function reportStatements(
  db: D1Database,
  row: FleetRow,
  decisions: DecisionCounts,
  seq: number,
  now: Instant,
): D1PreparedStatement[] {
  return [
    ...decisionEntries(decisions).map((d) =>
      db.prepare(ADD_DECISIONS).bind(d.hour, d.plan, d.reason, d.count, row.workspaceId, seq),
    ),
    db.prepare(UPSERT_ROW).bind(...rowValues(row, now, seq)),
    db.prepare(PRUNE_DECISIONS).bind(hourOf(now - DECISION_RETENTION_MS)),
  ];
}
