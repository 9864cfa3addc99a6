-- The finance exports (docs/history.md#finance-exports): what each workspace's fleet report adds
-- to the index for the daily files the cron writes to the ARCHIVE bucket. Instants are
-- milliseconds since the epoch; a day is the instant of its 00:00 UTC.

-- Credits charged (the ledger's debits and commits) per UTC day, workspace and feature. A report
-- adds what its workspace charged since its last report, once: the add is skipped when the
-- index already holds a report of that number or later (fleet_workspaces.report_seq), as the
-- decisions by reason are.
CREATE TABLE fleet_credits_daily (
  day INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  feature TEXT NOT NULL,
  credits INTEGER NOT NULL,
  PRIMARY KEY (day, workspace_id, feature)
) WITHOUT ROWID;

-- Each closed period's statement (its JSON answer, as GET .../credits/statements/{periodStart}
-- gives it), sent with the report after its close; a resend replaces it. Read by close day.
CREATE TABLE fleet_statements (
  workspace_id TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  closed_day INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (workspace_id, period_start)
);

CREATE INDEX fleet_statements_closed ON fleet_statements (closed_day, workspace_id, period_start);
