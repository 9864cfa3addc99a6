import { Webhook } from "standardwebhooks";
import { ATTEMPT_TIMEOUT_MS, type AttemptResult } from "../policy/delivery";
import type { WorkspaceEnv as Env } from "./env";

/**
 * The deployment's webhook (docs/rules.md, "Events and due work"): `off` without WEBHOOK_URL;
 * `broken` when the URL or the secret is unusable, in which case every attempt fails with the
 * reason, visibly in the feed, until the configuration is fixed (events are never sent
 * unsigned).
 */
export type WebhookConfig =
  | { kind: "off" }
  | { kind: "broken"; reason: string }
  | { kind: "on"; url: string; signer: Webhook };

export const webhookConfigured = (env: Env): boolean => (env.WEBHOOK_URL ?? "").trim() !== "";

export function webhookConfig(env: Env): WebhookConfig {
  const url = (env.WEBHOOK_URL ?? "").trim();
  if (url === "") return { kind: "off" };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: "broken", reason: "WEBHOOK_URL is not a URL" };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { kind: "broken", reason: "WEBHOOK_URL must be an http(s) URL" };
  }
  const secret = env.WEBHOOK_SECRET ?? "";
  if (!secret.startsWith("whsec_")) {
    return { kind: "broken", reason: "WEBHOOK_SECRET must be set to a whsec_ secret" };
  }
  try {
    return { kind: "on", url: parsed.href, signer: new Webhook(secret) };
  } catch {
    return { kind: "broken", reason: "WEBHOOK_SECRET is not a valid whsec_ secret (base64)" };
  }
}

/** Bounded so a receiver's error text cannot grow an event row. */
const MAX_ERROR_LENGTH = 200;

/**
 * One signed POST per Standard Webhooks: `webhook-id` is the event id (receivers deduplicate on
 * it), `webhook-timestamp` is real time even for a workspace on a test clock, because receivers
 * reject signatures more than 5 minutes off their own clock. Redirects are not followed: only a
 * 2xx from the configured URL counts.
 */
export async function sendWebhook(
  config: WebhookConfig,
  webhookId: string,
  body: string,
  timeoutMs = ATTEMPT_TIMEOUT_MS,
): Promise<AttemptResult> {
  if (config.kind === "off") return { ok: false, error: "no webhook is configured" };
  if (config.kind === "broken") return { ok: false, error: config.reason };
  const sentAt = new Date();
  try {
    const response = await fetch(config.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "quota-checker-webhooks/1",
        "webhook-id": webhookId,
        "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
        "webhook-signature": config.signer.sign(webhookId, sentAt, body),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The answer's body is never read; release the connection.
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, error: `HTTP ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "TimeoutError" || name === "AbortError") {
      return { ok: false, error: `no answer within ${timeoutMs / 1000} s` };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `request failed: ${message}`.slice(0, MAX_ERROR_LENGTH) };
  }
}
