// A TypeScript caller of the packed client, compiled by scripts/check-package.mjs against the
// types in the tarball alone: if they do not resolve, the @ts-expect-error lines fail.
import {
  type CreditDecision,
  createQuotaClient,
  isOutcomeUnknown,
  type QuotaClient,
} from "quota-checker/client";

const quota: QuotaClient = createQuotaClient({ baseUrl: "http://127.0.0.1:8787", token: "t" });

/** Credits left after a spend, or why there is no figure. */
export async function spend(ws: string, requestId: string): Promise<number | string> {
  const body = { feature: "ai_rewriter", credits: 3 } as const;
  const answer = await quota.consume(ws, body, { idempotencyKey: `${requestId}:consume` });
  if (answer.error) return answer.error.code;
  if (isOutcomeUnknown(answer)) return `ask again with ${answer.idempotencyKey}`;
  if (answer.reason === "service_unavailable") return answer.message;
  const decision: CreditDecision = answer;
  // @ts-expect-error a feature the service does not know is a type error, not a runtime one
  await quota.consume(ws, { feature: "ai_magic", credits: 1 });
  // @ts-expect-error a route the service does not have is a type error too
  await quota.api.GET("/v1/nowhere");
  return decision.allowed ? decision.remaining : (decision.reason ?? "refused");
}
