-- The fleet index (docs/fleet.md): one row per workspace, written by the workspace's own object
-- (src/workspace/fleet.ts), read by the platform's fleet routes (src/fleet/index.ts).
-- Instants are milliseconds since the epoch. A limit's state is 'ok', 'grace' or 'enforced';
-- a null limit is unlimited.
CREATE TABLE fleet_workspaces (
  workspace_id TEXT PRIMARY KEY,
  plan TEXT NOT NULL,
  catalogue_version TEXT,
  seats INTEGER NOT NULL,
  leads_used INTEGER NOT NULL,
  leads_limit INTEGER,
  leads_state TEXT NOT NULL,
  leads_grace_ends_at INTEGER,
  contacts_used INTEGER NOT NULL,
  contacts_limit INTEGER,
  contacts_state TEXT NOT NULL,
  contacts_grace_ends_at INTEGER,
  whatsapp_used INTEGER NOT NULL,
  whatsapp_limit INTEGER,
  whatsapp_state TEXT NOT NULL,
  whatsapp_grace_ends_at INTEGER,
  instagram_used INTEGER NOT NULL,
  instagram_limit INTEGER,
  instagram_state TEXT NOT NULL,
  instagram_grace_ends_at INTEGER,
  agents_used INTEGER NOT NULL,
  agents_limit INTEGER,
  agents_state TEXT NOT NULL,
  agents_grace_ends_at INTEGER,
  agents_total INTEGER NOT NULL,
  credits_used INTEGER NOT NULL,
  credits_balance INTEGER NOT NULL,
  credits_percent REAL NOT NULL,
  questions_used INTEGER NOT NULL,
  questions_limit INTEGER,
  webhooks_pending INTEGER NOT NULL,
  webhooks_oldest_at INTEGER,
  -- When the object took this row (the platform's clock), and its report number: a retried
  -- report carries the same number, so its decision counts are added once.
  reported_at INTEGER NOT NULL,
  report_seq INTEGER NOT NULL
);

CREATE INDEX fleet_workspaces_plan ON fleet_workspaces (plan, workspace_id);
CREATE INDEX fleet_workspaces_credits ON fleet_workspaces (credits_percent, workspace_id);
CREATE INDEX fleet_workspaces_reported ON fleet_workspaces (reported_at, workspace_id);
-- Few workspaces are out of `ok` or have a webhook backlog: partial indexes keep those lists cheap.
CREATE INDEX fleet_leads_state ON fleet_workspaces (leads_state, workspace_id) WHERE leads_state <> 'ok';
CREATE INDEX fleet_contacts_state ON fleet_workspaces (contacts_state, workspace_id) WHERE contacts_state <> 'ok';
CREATE INDEX fleet_whatsapp_state ON fleet_workspaces (whatsapp_state, workspace_id) WHERE whatsapp_state <> 'ok';
CREATE INDEX fleet_instagram_state ON fleet_workspaces (instagram_state, workspace_id) WHERE instagram_state <> 'ok';
CREATE INDEX fleet_agents_state ON fleet_workspaces (agents_state, workspace_id) WHERE agents_state <> 'ok';
CREATE INDEX fleet_webhooks_pending ON fleet_workspaces (webhooks_oldest_at, workspace_id) WHERE webhooks_pending > 0;

-- Decisions by reason, per hour and plan, fleet-wide: `allowed` or a refusal reason. Counted in
-- each object's memory and added with its report; hours older than the retention are pruned by
-- the reports themselves.
CREATE TABLE fleet_decisions (
  hour INTEGER NOT NULL,
  plan TEXT NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (hour, plan, reason)
) WITHOUT ROWID;
