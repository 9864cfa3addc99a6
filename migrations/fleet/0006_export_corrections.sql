-- The finance exports' correction files (docs/history.md#late-figures-correction-files): a figure
-- that reaches the index after its day's file was written goes to a correction file of that
-- day, written once like the others. Instants are milliseconds since the epoch; a day is the
-- instant of its 00:00 UTC.

-- One row per day's file the cron has sealed: it inserts the row before it reads the day's
-- figures, and from then on a report adds that day's figures here, to the correction
-- `next_correction`, never to fleet_credits_daily / fleet_statements, so what the day's file reads
-- stays what it read (a rerun after a crash writes the same file). To write correction n the cron
-- first moves next_correction to n + 1 (n's figures are then fixed), writes the file and its
-- manifest, then sets `listed` to n. `listed`: the last file known to have its manifest (-1: not
-- even the day's file yet, 0: the day's file, n: correction n). A day written before this
-- migration has no row: the cron adds it (listed) when it finds the day's file in its look-back.
CREATE TABLE fleet_export_days (
  kind TEXT NOT NULL,
  day INTEGER NOT NULL,
  next_correction INTEGER NOT NULL DEFAULT 1,
  listed INTEGER NOT NULL DEFAULT -1,
  PRIMARY KEY (kind, day)
) WITHOUT ROWID;

-- Credits charged on a sealed day, per correction, workspace and feature: what the day's file
-- and the corrections before lack (a delta). Added once per report number, as in
-- fleet_credits_daily.
CREATE TABLE fleet_credits_late (
  day INTEGER NOT NULL,
  correction INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  feature TEXT NOT NULL,
  credits INTEGER NOT NULL,
  PRIMARY KEY (day, correction, workspace_id, feature)
) WITHOUT ROWID;

-- Statements that arrived, or changed, after their close day's file was sealed: the whole
-- statement (it replaces the lines of that workspace and period in earlier files). A resend of
-- the body the index already has adds no row.
CREATE TABLE fleet_statements_late (
  closed_day INTEGER NOT NULL,
  correction INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (closed_day, correction, workspace_id, period_start)
) WITHOUT ROWID;

-- A report finds the body the index last had for a period (to skip a resend).
CREATE INDEX fleet_statements_late_period
  ON fleet_statements_late (workspace_id, period_start, correction);
