import { defineConfig } from "vitest/config";

// End-to-end tests run in Node against `wrangler dev` (and a real browser for the billing page),
// the way a user runs the service; the rest of the suite runs inside workerd (vitest.config.ts).
// Without Chromium the browser tests are skipped and the run ends saying so (browser-note.ts).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two files at a time: each starts its own servers on free ports with its own state
    // directory, and the billing page in Chromium (over a minute) no longer holds up the rest.
    maxWorkers: 2,
    reporters: [
      "default",
      ["json", { outputFile: ".vitest-e2e-report.json" }],
      "./test/e2e/browser-note.ts",
    ],
  },
});
