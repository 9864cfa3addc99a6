import { env } from "cloudflare:test";

/** Talks to the test receiver (test/webhooks/receiver.mjs), which WEBHOOK_URL points at. */
const origin = () => new URL(env.WEBHOOK_URL ?? "").origin;

export interface ReceivedDelivery {
  webhookId: string | null;
  /** The Standard Webhooks signature verified with WEBHOOK_SECRET (standardwebhooks, in Node). */
  verified: boolean;
  payload: Record<string, unknown> | null;
  answered: number;
  delayMs: number;
  receivedAt: number;
}

/** The receiver's next answers to deliveries for `ws`, in order; then 204s. */
export async function scriptAnswers(
  ws: string,
  answers: { status?: number; delayMs?: number; hold?: true }[],
) {
  const response = await fetch(`${origin()}/script/${ws}`, {
    method: "PUT",
    body: JSON.stringify(answers),
  });
  await response.body?.cancel();
}

/**
 * Every delivery the receiver got for `ws`, in arrival order; with `atLeast`, once that many
 * have arrived (the receiver answers when they do: no polling).
 */
export async function received(ws: string, atLeast = 0): Promise<ReceivedDelivery[]> {
  const response = await fetch(`${origin()}/log/${ws}?atLeast=${atLeast}`);
  return (await response.json()) as ReceivedDelivery[];
}

/** Answers every delivery of `ws` the receiver holds (scripted `{ hold: true }`). */
export async function releaseHeld(ws: string): Promise<void> {
  const response = await fetch(`${origin()}/release/${ws}`, { method: "POST" });
  await response.body?.cancel();
}

/** Posts straight to the receiver, e.g. with a forged signature. */
export const postToReceiver = (init: RequestInit) => fetch(env.WEBHOOK_URL ?? "", init);
