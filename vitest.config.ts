import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_AUTH_SECRET } from "./test/secret.ts";
import { TEST_WEBHOOK_SECRET } from "./test/webhooks/secret.ts";
import { workerUnderTest } from "./vitest.worker.ts";

const bindings = { AUTH_SECRET: TEST_AUTH_SECRET, TEST_CLOCKS: "on" };

/** Exactly these bindings, never the developer's .dev.vars (see vitest.worker.ts). */
const worker = (extra: Record<string, string> = {}) =>
  workerUnderTest("./wrangler.toml", { ...bindings, ...extra });

export default defineConfig({
  test: {
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
    // Two Workers under test: the same code, with and without a webhook. Only test/webhooks/
    // runs with WEBHOOK_URL set (to a receiver started by its globalSetup), so every other test
    // records events as `disabled` and sends nothing.
    projects: [
      {
        plugins: [cloudflareTest(worker())],
        test: {
          name: "worker",
          // Counted, never timed: a few tests run hundreds of calls, and a loaded 2-core machine
          // took over 5 s on them. A hang still fails, just later. (Projects inherit no root
          // test options.)
          testTimeout: 30_000,
          include: ["test/**/*.test.ts"],
          // test/e2e runs in Node against wrangler dev (vitest.e2e.config.ts).
          // test/reliability runs with `npm run test:reliability` (vitest.reliability.config.ts).
          exclude: ["test/webhooks/**", "test/e2e/**", "test/reliability/**", "**/node_modules/**"],
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) =>
            worker({
              WEBHOOK_URL: `${inject("webhookReceiver")}/webhooks`,
              WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
            }),
          ),
        ],
        test: {
          name: "webhooks",
          testTimeout: 30_000,
          include: ["test/webhooks/**/*.test.ts"],
          globalSetup: ["test/webhooks/receiver.mjs"],
        },
      },
    ],
  },
});
