// `npm test`: every suite, one after the other, then one closing line for all of them,
//
//   812 passed, 0 failed, 11 skipped
//
// alone on the last line, and a failing exit code when a test failed or a suite did not finish.
// The suites: vitest.config.ts (the worker, integration and webhooks projects inside workerd)
// and vitest.e2e.config.ts (Node against `wrangler dev`, and the billing page in Chromium).
// Each writes its totals to a JSON report (the `json` reporter of its config); a report left by
// an earlier run is removed first, so a suite that dies before reporting is a failure, never an
// old pass. Extra arguments go to both runs (`npm test -- -t consume`).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// vitest's own bin, run by this Node (npm scripts run under the `node` devDependency).
const vitest = join(
  dirname(createRequire(import.meta.url).resolve("vitest/package.json")),
  "vitest.mjs",
);
const suites = [
  { config: "vitest.config.ts", report: ".vitest-report.json" },
  { config: "vitest.e2e.config.ts", report: ".vitest-e2e-report.json" },
];
const extra = process.argv.slice(2);

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;
for (const { config, report } of suites) {
  rmSync(report, { force: true });
  const run = spawnSync(process.execPath, [vitest, "run", "--config", config, ...extra], {
    stdio: "inherit",
  });
  if (!existsSync(report)) {
    console.error(`\n${config}: vitest ended (exit ${run.status ?? run.signal}) without a report`);
    broken = true;
    continue;
  }
  const totals = JSON.parse(readFileSync(report, "utf8"));
  passed += totals.numPassedTests;
  failed += totals.numFailedTests;
  skipped += totals.numPendingTests + totals.numTodoTests;
  // A failure outside any test (an error in a hook or setup file, an unhandled rejection) fails
  // the run without failing a test: vitest's exit code says so.
  if (run.status !== 0 && totals.numFailedTests === 0) {
    console.error(`\n${config}: vitest exited ${run.status ?? run.signal} (see above)`);
    broken = true;
  }
}

console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && !broken && passed > 0 ? 0 : 1);
