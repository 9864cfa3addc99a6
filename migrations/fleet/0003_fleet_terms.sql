-- What the catalogue's impact preview (docs/catalogue.md) needs to compute a workspace's limits
-- under another version exactly as its object would: when its subscription started (legacy
-- terms), its platform overrides (JSON), and its grandfathered channels. `catalogue_version`
-- (0001) holds the pinned version, null when the workspace follows the version in force.
ALTER TABLE fleet_workspaces ADD COLUMN subscribed_at INTEGER;
ALTER TABLE fleet_workspaces ADD COLUMN overrides TEXT;
