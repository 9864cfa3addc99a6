import { applyD1Migrations, type D1Migration, env } from "cloudflare:test";

// Every test file starts with its own D1: the fleet index's schema, as `npm start` and a deploy
// apply it (migrations/fleet, read by vitest.config.ts).
if (env.FLEET !== undefined) {
  await applyD1Migrations(env.FLEET, JSON.parse(env.FLEET_MIGRATIONS) as D1Migration[]);
}
