import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

import { TEST_AUTH_SECRET } from "./test/secret.ts";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { AUTH_SECRET: TEST_AUTH_SECRET, TEST_CLOCKS: "on" },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "**/node_modules/**"],
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
  },
});
