import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { type PoolOptions, workerUnderTest } from "../../vitest.worker";

/** A checkout with a developer's own variables beside its wrangler.toml. */
function checkout(file: ".dev.vars" | ".env") {
  const dir = mkdtempSync(join(tmpdir(), "quota-dev-vars-"));
  dirs.push(dir);
  copyFileSync("wrangler.toml", join(dir, "wrangler.toml"));
  writeFileSync(
    join(dir, file),
    "AUTH_SECRET=developers-own\nWEBHOOK_URL=http://127.0.0.1:9/hooks\nWEBHOOK_SECRET=whsec_eA==\n",
  );
  return join(dir, "wrangler.toml");
}
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const bindingsOf = (options: PoolOptions) => options.miniflare?.bindings;

describe("the test suite's Worker", () => {
  it("would otherwise see a developer's .dev.vars (what this guards against)", () => {
    // wrangler says so on the console; asserted here rather than printed in the run.
    const said = vi.spyOn(console, "log").mockImplementation(() => {});
    const plain = unstable_getMiniflareWorkerOptions(checkout(".dev.vars"));
    expect(plain.workerOptions.bindings).toMatchObject({ WEBHOOK_URL: "http://127.0.0.1:9/hooks" });
    expect(said).toHaveBeenCalledWith(expect.stringContaining("Using secrets defined in"));
    said.mockRestore();
  });

  for (const file of [".dev.vars", ".env"] as const) {
    it(`has exactly the bindings of the test config, whatever ${file} holds`, () => {
      const bindings = bindingsOf(
        workerUnderTest(checkout(file), { AUTH_SECRET: "test-secret", TEST_CLOCKS: "on" }),
      );
      expect(bindings).toEqual({ AUTH_SECRET: "test-secret", TEST_CLOCKS: "on" });
    });
  }

  it("keeps the rest of wrangler.toml: the Durable Objects on SQLite", () => {
    const options = workerUnderTest("wrangler.toml", {});
    expect(options.main).toMatch(/src\/index\.ts$/);
    expect(options.miniflare?.durableObjects).toEqual({
      WORKSPACE: { className: "WorkspaceObject", useSQLite: true },
      DUE_INDEX: { className: "DueIndex", useSQLite: true },
    });
    // The production default, which the test config overrides with "on".
    expect(bindingsOf(options)).toEqual({ TEST_CLOCKS: "off" });
  });
});
