// The peer of `npm run bench`: what a team would build instead of the service. A Node HTTP
// server that verifies the same HS256 bearer token on every request and runs an atomic
// check-and-debit as a Lua script in redis-server (started by the bench with appendfsync
// always, so each debit is on disk before the answer, like a Durable Object's write).
//
//   node bench/peer-server.mjs <httpPort> <redisPort> <secret>
//   POST /consume  {"feature": "...", "credits": n}  -> {"allowed": bool, "remaining": n}
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import Redis from "ioredis";

const [port, redisPort, secret] = process.argv.slice(2);
const redis = new Redis({ port: Number(redisPort), host: "127.0.0.1" });

// The same decision as the service's consume on one pool: the balance, then the feature's cap;
// an allowed debit moves both counters and appends a ledger entry.
const CONSUME = `
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local cap = tonumber(redis.call('GET', KEYS[3]) or '-1')
local fused = tonumber(redis.call('GET', KEYS[4]) or '0')
local c = tonumber(ARGV[1])
if c > balance - used then return {0, balance - used} end
if cap >= 0 and c > cap - fused then return {0, balance - used} end
redis.call('INCRBY', KEYS[2], c)
redis.call('INCRBY', KEYS[4], c)
redis.call('RPUSH', KEYS[5], ARGV[2])
return {1, balance - used - c}`;

const b64url = (s) => Buffer.from(s, "base64url");

/** HS256 signature, exp, and the claims the service requires; the workspace in `ws`. */
function verify(header) {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (token === undefined) return undefined;
  const [h, p, s] = token.split(".");
  if (h === undefined || p === undefined || s === undefined) return undefined;
  const expected = createHmac("sha256", secret).update(`${h}.${p}`).digest();
  const given = b64url(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(b64url(p).toString());
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now()) return undefined;
  if (typeof claims.ws !== "string" || !["platform", "service"].includes(claims.role)) {
    return undefined;
  }
  return claims;
}

const sha = await redis.script("LOAD", CONSUME);

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", async () => {
    const answer = (status, value) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.method !== "POST" || req.url !== "/consume") return answer(404, { error: "no route" });
    const claims = verify(req.headers.authorization);
    if (claims === undefined) return answer(401, { error: "unauthenticated" });
    let input;
    try {
      input = JSON.parse(body);
    } catch {
      return answer(400, { error: "invalid JSON" });
    }
    if (
      !Number.isInteger(input.credits) ||
      input.credits < 1 ||
      typeof input.feature !== "string"
    ) {
      return answer(400, { error: "invalid request" });
    }
    const ws = claims.ws;
    const keys = [
      `${ws}:balance`,
      `${ws}:used`,
      `${ws}:cap:${input.feature}`,
      `${ws}:used:${input.feature}`,
      `${ws}:ledger`,
    ];
    const entry = `${Date.now()} ${input.feature} ${input.credits}`;
    try {
      const [allowed, remaining] = await redis.evalsha(
        sha,
        keys.length,
        ...keys,
        input.credits,
        entry,
      );
      answer(200, { allowed: allowed === 1, remaining });
    } catch (error) {
      answer(500, { error: String(error) });
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => console.log(`peer ready on ${port}`));
