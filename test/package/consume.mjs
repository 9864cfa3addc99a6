// A plain Node 20+ ESM caller of the packed client (scripts/check-package.mjs runs it).
import { createQuotaClient } from "quota-checker/client";

const { QUOTA_URL: baseUrl, QUOTA_DOWN_URL, QUOTA_TOKEN: token, QUOTA_WS: ws } = process.env;
const quota = createQuotaClient({ baseUrl, token });
const body = { feature: "ai_rewriter", credits: 3 };
const check = await quota.check(ws, body);
const spend = await quota.consume(ws, body, { idempotencyKey: "package-check-1" });
const again = await quota.consume(ws, body, { idempotencyKey: "package-check-1" });
// Nothing listens at QUOTA_DOWN_URL: the connection is refused, so nothing was decided.
const down = createQuotaClient({ baseUrl: QUOTA_DOWN_URL, token, maxAttempts: 1 });
const refused = await down.consume(ws, body);
console.log(JSON.stringify({ check, spend, again, refused }));
const ok =
  check.allowed && spend.allowed && again.replayed && refused.reason === "service_unavailable";
process.exit(ok ? 0 : 1);
