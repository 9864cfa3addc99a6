import { cloudflareTest, getRunnerName, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";
import { TEST_AUTH_SECRET } from "./test/support/secret.ts";
import { TEST_WEBHOOK_SECRET } from "./test/webhooks/secret.ts";
import { withoutBrokenSourceMaps, workerUnderTest } from "./vitest.worker.ts";

/**
 * The fleet index's schema (migrations/fleet), applied to each test file's D1 by
 * test/fleet/setup.ts. Fleet reports are `manual`: objects report when their due work runs or
 * a test asks, and never arm an alarm of their own for it, so no test's alarms move.
 */
const FLEET_MIGRATIONS = JSON.stringify(await readD1Migrations("./migrations/fleet"));
const FLEET_SETUP = "test/fleet/setup.ts";
// LOG_REQUESTS off: one JSON line per request would bury the test output (test/routes/requestLog
// turns it on for its own requests).
const bindings = {
  AUTH_SECRET: TEST_AUTH_SECRET,
  TEST_CLOCKS: "on",
  LOG_REQUESTS: "off",
  FLEET_REPORTS: "manual",
  FLEET_MIGRATIONS,
};

const TEST_TIMEOUT_MS = 30_000;
/**
 * The cron's info lines, whole: a sweep in which nothing failed, and the finance files written.
 * A sweep with failures is still shown; a test that must see a line spies on console.log.
 */
const QUIET_LINE =
  /^(due work sweep \{ due: \d+, ran: \d+, failed: 0 \}|finance exports written [^\n]*)\n?$/;

/** workerd colours the figures of a logged object; the line is matched on its text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
const withoutColours = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

/** Exactly these bindings, never the developer's .dev.vars (see vitest.worker.ts). */
const worker = (extra: Record<string, string> = {}) =>
  workerUnderTest("./wrangler.toml", { ...bindings, ...extra });

/**
 * The Workers beside the quota service in the `integration` project, built by its globalSetup
 * (test/integration/setup.mjs). The AI-feature example runs with its own wrangler.toml's vars
 * and service bindings, pointed at the Worker under test (named after its project), so the
 * example is tested exactly as it is configured.
 */
function integrationWorkers(built: { aiFeature: string; caller: string; quotaDown: string }) {
  const quota = getRunnerName({ name: "integration" } as Parameters<typeof getRunnerName>[0]);
  const example = unstable_readConfig({ config: "./examples/ai-feature/wrangler.toml" });
  const exampleWorker = (name: string, quotaWorker: string, quotaEntrypoint?: string) => ({
    name,
    modules: true as const,
    scriptPath: built.aiFeature,
    compatibilityDate: example.compatibility_date,
    // The tests assert failed commits and releases; the example's log of them would be noise.
    bindings: { ...example.vars, LOG_FAILURES: "off" },
    serviceBindings: Object.fromEntries(
      example.services?.map((s: { binding: string; entrypoint?: string }) => [
        s.binding,
        { name: quotaWorker, entrypoint: quotaEntrypoint ?? s.entrypoint },
      ]) ?? [],
    ),
  });
  return [
    {
      name: "caller",
      modules: true as const,
      scriptPath: built.caller,
      compatibilityDate: example.compatibility_date,
      serviceBindings: {
        SERVICE: { name: quota, entrypoint: "QuotaService" },
        PLATFORM: { name: quota, entrypoint: "QuotaPlatform" },
      },
    },
    exampleWorker("ai-feature", quota),
    // The same example bound to a quota service that cannot answer (it answers `unavailable`,
    // or every call throws): it must refuse.
    exampleWorker("ai-feature-down", "quota-down"),
    exampleWorker("ai-feature-gone", "quota-down", "QuotaGone"),
    {
      name: "quota-down",
      modules: true as const,
      scriptPath: built.quotaDown,
      compatibilityDate: example.compatibility_date,
    },
  ];
}

export default defineConfig({
  test: {
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
    // The cron's two info lines (src/cron/scheduled.ts, src/cron/exports.ts), which production
    // logs on every run that did work, are dropped here: a passing run stays quiet. Anything
    // else a test prints, and everything on stderr, is shown.
    onConsoleLog: (log, type) => !(type === "stdout" && QUIET_LINE.test(withoutColours(log))),
    // Test files at once, across the three projects. Each file starts its own workerd and
    // imports the Worker into it, mostly waiting on that round trip rather than on a core, so
    // vitest's default (one less than the cores: 1 on a 2-core machine, every file in turn)
    // left the machine idle; 3 took a third off the time there.
    maxWorkers: 3,
    // Two Workers under test: the same code, with and without a webhook. Only test/webhooks/
    // runs with WEBHOOK_URL set (to a receiver started by its globalSetup), so every other test
    // records events as `disabled` and sends nothing.
    projects: [
      {
        plugins: [cloudflareTest(worker()), withoutBrokenSourceMaps],
        test: {
          name: "worker",
          setupFiles: [FLEET_SETUP],
          // Counted, never timed: a few tests run hundreds of calls, and a loaded 2-core machine
          // took over 5 s on them. A hang still fails, just later. (Projects inherit no root
          // test options.)
          testTimeout: TEST_TIMEOUT_MS,
          include: ["test/**/*.test.ts"],
          // test/e2e runs in Node against wrangler dev (vitest.e2e.config.ts).
          // test/reliability runs with `npm run test:reliability` (vitest.reliability.config.ts).
          exclude: [
            "test/webhooks/**",
            "test/e2e/**",
            "test/reliability/**",
            "test/integration/**",
            "**/node_modules/**",
          ],
        },
      },
      {
        plugins: [
          withoutBrokenSourceMaps,
          cloudflareTest(({ inject }) => {
            const base = worker();
            return {
              ...base,
              miniflare: {
                ...base.miniflare,
                serviceBindings: {
                  ...base.miniflare?.serviceBindings,
                  CALLER: { name: "caller", entrypoint: "Caller" },
                  AI_FEATURE: "ai-feature",
                  AI_FEATURE_DOWN: "ai-feature-down",
                  AI_FEATURE_GONE: "ai-feature-gone",
                },
                workers: integrationWorkers(inject("auxiliaryWorkers")),
              },
            };
          }),
        ],
        test: {
          // Service bindings from other Workers, the AI-feature example and the typed client.
          name: "integration",
          setupFiles: [FLEET_SETUP],
          testTimeout: TEST_TIMEOUT_MS,
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/setup.mjs"],
        },
      },
      {
        plugins: [
          withoutBrokenSourceMaps,
          cloudflareTest(({ inject }) =>
            worker({
              WEBHOOK_URL: `${inject("webhookReceiver")}/webhooks`,
              WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
            }),
          ),
        ],
        test: {
          name: "webhooks",
          setupFiles: [FLEET_SETUP],
          testTimeout: TEST_TIMEOUT_MS,
          include: ["test/webhooks/**/*.test.ts"],
          globalSetup: ["test/webhooks/receiver.mjs"],
        },
      },
    ],
  },
});
