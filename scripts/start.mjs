// `npm start`: applies the fleet index's migrations (migrations/fleet) to the local D1, then runs
// `wrangler dev --test-scheduled` with the arguments given after `--`. One script, so that a
// `--persist-to <dir>` given to npm start reaches both: the migrations land in the state the
// server then serves (a prestart script never sees npm start's arguments).
import { spawn, spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const at = args.indexOf("--persist-to");
const persist = at === -1 ? [] : ["--persist-to", args[at + 1] ?? ""];
const wrangler = "node_modules/.bin/wrangler";
// Miniflare gives requests its placeholder `Request.cf` (the Worker reads none) instead of
// fetching Cloudflare's, which warned offline.
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const migrate = spawnSync(
  wrangler,
  ["d1", "migrations", "apply", "quota-fleet", "--local", ...persist],
  // CI=true: wrangler applies without asking (locally there is nothing to confirm).
  { stdio: ["ignore", "inherit", "inherit"], env: { ...env, CI: "true" } },
);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);
const dev = spawn(wrangler, ["dev", "--test-scheduled", ...args], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
