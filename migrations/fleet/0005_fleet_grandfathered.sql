-- Grandfathered channels (docs/catalogue.md, impact preview): how many of a workspace's active
-- WhatsApp numbers and Instagram accounts are grandfathered, so never disabled whatever the limit.
-- Grandfathering is decided when a channel connects and kept (docs/rules.md, "WhatsApp numbers
-- and Instagram accounts"), so a version switch disables only the others: the preview counts
-- only those. Null: the row was reported before this migration (taken as none grandfathered).
ALTER TABLE fleet_workspaces ADD COLUMN whatsapp_grandfathered INTEGER;
ALTER TABLE fleet_workspaces ADD COLUMN instagram_grandfathered INTEGER;
