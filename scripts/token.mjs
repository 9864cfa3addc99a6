// Prints a bearer token the local server accepts, alone on stdout:
//   npm run -s token -- <ws or *> <role> [ttlSeconds]
// (-s keeps npm's "> script" banner off stdout, so `$(npm run -s token -- acme admin)` is the
// token.) The secret is AUTH_SECRET from the environment, else from .dev.vars, else
// .dev.vars.example. A refusal is its reason and the usage on stderr, no token, exit status 2.
import { existsSync, readFileSync } from "node:fs";
import { MAX_TTL_SECONDS, mintToken, ROLES } from "./lib/token.mjs";

const USAGE = `usage: npm run -s token -- <workspace id or *> <${ROLES.join("|")}> [ttlSeconds]
  <workspace id>  1-64 characters of A-Za-z0-9_-; * (every workspace) only with the platform role
  [ttlSeconds]    1-${MAX_TTL_SECONDS} (366 days); default 86400 (one day)`;
const [ws, role, ttlArg] = process.argv.slice(2);
const ttlSeconds = ttlArg === undefined ? 24 * 3600 : Number(ttlArg);

function refuse(why) {
  console.error(`${why}\n${USAGE}`);
  process.exit(2);
}

if (!ws || !(ws === "*" || /^[A-Za-z0-9_-]{1,64}$/.test(ws)) || !ROLES.includes(role ?? "")) {
  refuse("A workspace id (or *) and a role are required.");
}
if (ws === "*" && role !== "platform") {
  refuse(
    `Only a platform token may carry * (every workspace); a token of role ${role} must name its workspace.`,
  );
}
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS) {
  refuse(`ttlSeconds must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (366 days).`);
}

function secretFrom(file) {
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith("AUTH_SECRET="));
  return line
    ?.slice("AUTH_SECRET=".length)
    .trim()
    .replace(/^"(.*)"$/, "$1");
}

const secret =
  process.env.AUTH_SECRET ?? secretFrom(".dev.vars") ?? secretFrom(".dev.vars.example");
if (!secret) {
  console.error("No AUTH_SECRET in the environment, .dev.vars or .dev.vars.example");
  process.exit(2);
}

console.log(mintToken(secret, ws, role, ttlSeconds));
