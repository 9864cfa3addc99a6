/**
 * globalSetup of the `integration` project (in Node): bundles the Workers that run beside the
 * quota service as auxiliary Workers (the examples/ai-feature Worker, the test caller and a
 * quota service that is down) with esbuild, since auxiliary Workers run as built JavaScript.
 * Their paths are provided to vitest.config.ts, which starts them with service bindings to the
 * Worker under test's entrypoints.
 */
// Plain JavaScript: it runs in Node, and the project's TypeScript setup has Workers types only.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, ".wrangler", "integration");

export const AUXILIARY_WORKERS = {
  aiFeature: "examples/ai-feature/src/index.ts",
  caller: "test/integration/workers/caller.ts",
  quotaDown: "test/integration/workers/quota-down.ts",
};

/** Bundles each auxiliary Worker to one ES module; answers name → absolute path. */
export async function buildAuxiliaryWorkers() {
  mkdirSync(out, { recursive: true });
  const paths = {};
  for (const [name, entry] of Object.entries(AUXILIARY_WORKERS)) {
    const outfile = join(out, `${name}.js`);
    await build({
      entryPoints: [join(root, entry)],
      outfile,
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      external: ["cloudflare:*"],
      logLevel: "warning",
    });
    paths[name] = outfile;
  }
  return paths;
}

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  project.provide("auxiliaryWorkers", await buildAuxiliaryWorkers());
}
