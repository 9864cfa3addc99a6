import { readFileSync } from "node:fs";
import type { cloudflareTest } from "@cloudflare/vitest-plugin";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

/** What `cloudflareTest` takes (the plugin does not export the type itself). */
export type PoolOptions = Exclude<
  Parameters<typeof cloudflareTest>[0],
  (...args: never[]) => unknown
>;

type WranglerOptions = NonNullable<Parameters<typeof unstable_getMiniflareWorkerOptions>[2]>;

/** Where wrangler is told to look for variables instead of .dev.vars: a file never created. */
export const NO_ENV_FILE = ".env.tests-read-no-env-file";

/**
 * The Worker of a wrangler config with exactly the given bindings, for @cloudflare/vitest-plugin
 * (`cloudflareTest(workerUnderTest(...))`). Given `wrangler.configPath`, the plugin has wrangler
 * read the developer's .dev.vars (or .env) beside the config, with no option to stop it, so a
 * local WEBHOOK_URL changed what the tests saw. Here wrangler translates its config itself, with
 * `envFiles` (read by wrangler, absent from its types) naming a file that does not exist, which
 * makes it skip .dev.vars. test/e2e/dev-vars.test.ts checks that this still holds.
 */
export function workerUnderTest(configPath: string, bindings: Record<string, string>): PoolOptions {
  const { main, workerOptions } = unstable_getMiniflareWorkerOptions(configPath, undefined, {
    envFiles: [NO_ENV_FILE],
  } as unknown as WranglerOptions);
  // Module rules are the plugin's to set; the rest is the Worker as wrangler would run it.
  const { modulesRules: _rules, ...options } = workerOptions;
  // wrangler's and the plugin's copies of the Miniflare option types differ only in origin.
  return {
    main,
    miniflare: {
      ...options,
      bindings: { ...(options.bindings as Record<string, unknown> | undefined), ...bindings },
    },
  } as PoolOptions;
}

/**
 * standardwebhooks ships dist/*.js.map files that name its src/ files, which it does not ship,
 * so Vite warned "Sourcemap ... points to missing source files" on every run. Loading its files
 * without their sourceMappingURL comment skips the map (its stack frames stay in dist/).
 */
export const withoutBrokenSourceMaps = {
  name: "without-broken-source-maps",
  load(id: string) {
    if (!/\/node_modules\/standardwebhooks\/dist\/[^/]+\.js$/.test(id)) return null;
    return readFileSync(id, "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, "");
  },
};
