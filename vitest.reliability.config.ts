import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_AUTH_SECRET } from "./test/support/secret.ts";
import { withoutBrokenSourceMaps, workerUnderTest } from "./vitest.worker.ts";

/**
 * `npm run test:reliability`: the history checker, schema fuzzing and the authorization matrix
 * inside workerd (cheap: no process per request), and the crash-and-restart run in Node against
 * `wrangler dev` with its state on disk. test/reliability/reporter.mjs prints the run's figures
 * and fails it when a must-be-zero figure is not zero. RELIABILITY_SEED=n replays a run.
 */
const seed = process.env.RELIABILITY_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
// The fleet index's schema, applied to each file's D1 by test/fleet/setup.ts (vitest.config.ts).
const FLEET_MIGRATIONS = JSON.stringify(await readD1Migrations("./migrations/fleet"));

export default defineConfig({
  test: {
    reporters: ["default", "./test/reliability/reporter.mjs"],
    projects: [
      {
        plugins: [
          withoutBrokenSourceMaps,
          // Exactly these bindings, never the developer's .dev.vars (see vitest.worker.ts).
          cloudflareTest(
            workerUnderTest("./wrangler.toml", {
              AUTH_SECRET: TEST_AUTH_SECRET,
              TEST_CLOCKS: "on",
              // Thousands of requests: their log lines would bury the run's figures.
              LOG_REQUESTS: "off",
              RELIABILITY_SEED: seed,
              // Objects report to the fleet index only when due work runs: no alarm of their own.
              FLEET_REPORTS: "manual",
              FLEET_MIGRATIONS,
            }),
          ),
        ],
        test: {
          name: "reliability-worker",
          setupFiles: ["test/fleet/setup.ts"],
          include: ["test/reliability/*.test.ts"],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "reliability-node",
          include: ["test/reliability/node/*.test.ts"],
          environment: "node",
          env: { RELIABILITY_SEED: seed },
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
