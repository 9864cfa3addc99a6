-- The plan catalogue as versioned data (docs/catalogue.md): every draft and every published
-- version, kept for history beside the fleet index that previews them. The built-in version
-- `2026-06` is code (src/policy/catalogue.ts), never a row. Instants are milliseconds since the
-- epoch; `body` is the version as its schema (src/schemas/catalogue.ts) validates it.
CREATE TABLE catalogue_versions (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  -- Null while a draft; set by publish (at least the lead ahead of the publish).
  effective_at INTEGER,
  published_at INTEGER,
  -- A scheduled version withdrawn before it applied: kept, never applied.
  withdrawn_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- What every workspace reads as its schedule: published, not withdrawn, by effective instant.
CREATE INDEX catalogue_versions_schedule ON catalogue_versions (effective_at)
  WHERE effective_at IS NOT NULL AND withdrawn_at IS NULL;
