import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

import { TEST_AUTH_SECRET } from "./test/support/secret.ts";

/**
 * Benchmarks: `npm run bench` (every bench/*.bench.ts) or `npm run bench -- bench/x.bench.ts`.
 * They run inside workerd like the tests, one file at a time so they do not compete for the
 * CPU, and each writes bench/results/<name>.json through bench/reporter.mjs. The fleet index's
 * schema is applied to each file's D1 (test/fleet/setup.ts) and reports are manual, as in the
 * tests: no object arms an alarm for a fleet report.
 */
const FLEET_MIGRATIONS = JSON.stringify(await readD1Migrations("./migrations/fleet"));

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          AUTH_SECRET: TEST_AUTH_SECRET,
          TEST_CLOCKS: "on",
          LOG_REQUESTS: "off",
          FLEET_REPORTS: "manual",
          FLEET_MIGRATIONS,
          // A smaller fill for a quick look (BENCH_LEADS=20000 npm run bench); results are
          // only written for the full size.
          BENCH_LEADS: process.env.BENCH_LEADS ?? "1000000",
        },
      },
    }),
  ],
  test: {
    include: ["bench/**/*.bench.ts"],
    setupFiles: ["test/fleet/setup.ts"],
    fileParallelism: false,
    testTimeout: 60 * 60 * 1000,
    hookTimeout: 60 * 1000,
    reporters: ["default", "./bench/reporter.mjs"],
  },
});
