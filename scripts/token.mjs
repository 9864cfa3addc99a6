// Prints a bearer token the local server accepts: npm run token -- <ws or *> <role> [ttlSeconds]
// The secret is AUTH_SECRET from the environment, else from .dev.vars, else .dev.vars.example.
import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

const ROLES = ["platform", "admin", "service", "viewer"];
const [ws, role, ttlArg] = process.argv.slice(2);
const ttlSeconds = ttlArg === undefined ? 24 * 3600 : Number(ttlArg);

if (!ws || !(ws === "*" || /^[A-Za-z0-9_-]{1,64}$/.test(ws)) || !ROLES.includes(role ?? "")) {
  console.error(`usage: npm run token -- <workspace id or *> <${ROLES.join("|")}> [ttlSeconds]`);
  process.exit(2);
}
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
  console.error("ttlSeconds must be a positive integer");
  process.exit(2);
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

const b64url = (data) => Buffer.from(data).toString("base64url");
const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
const payload = b64url(
  JSON.stringify({ ws, role, exp: Math.floor(Date.now() / 1000) + ttlSeconds }),
);
const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
console.log(`${header}.${payload}.${signature}`);
