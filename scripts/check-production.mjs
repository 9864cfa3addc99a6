// Run by `npm run build` after `wrangler deploy --dry-run`: what `npm run deploy` ships builds
// from wrangler.toml alone (never .dev.vars), with test clocks off and no secret in the config
// (production sets AUTH_SECRET and WEBHOOK_SECRET with `wrangler secret put`).
import { existsSync, readFileSync, statSync } from "node:fs";
import { unstable_readConfig } from "wrangler";

const config = unstable_readConfig({ config: "wrangler.toml" });
const problems = [];
if (config.vars.TEST_CLOCKS !== "off") {
  problems.push(
    `wrangler.toml [vars] TEST_CLOCKS is ${JSON.stringify(config.vars.TEST_CLOCKS)}; production needs "off"`,
  );
}
for (const secret of ["AUTH_SECRET", "WEBHOOK_SECRET"]) {
  if (secret in config.vars) {
    problems.push(
      `${secret} is in wrangler.toml [vars]; set it with \`wrangler secret put ${secret}\` instead`,
    );
  }
}
const bundle = "dist/index.js";
if (!existsSync(bundle)) problems.push(`${bundle} was not built`);
// keep_names = false (wrangler.toml): esbuild's name-keeping wraps every named closure in a
// call to Object.defineProperty, run each time the closure is made, several per hot-path
// request (docs/benchmarks.md, "A profile of workerd").
const named = existsSync(bundle)
  ? (readFileSync(bundle, "utf8").match(/\b__name\(/g) ?? []).length
  : 0;
if (named > 0) {
  problems.push(
    `${bundle} calls __name ${named} times: keep_names is on; set keep_names = false in wrangler.toml`,
  );
}

if (problems.length > 0) {
  for (const p of problems) console.error(`production build: ${p}`);
  process.exit(1);
}
console.log(
  `Production bundle ${bundle} (${Math.round(statSync(bundle).size / 1024)} KiB): test clocks off, no secret in the config, no name-keeping wrappers.`,
);
