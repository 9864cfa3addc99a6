import { env } from "cloudflare:test";

/**
 * Calls the quota service from the second Worker (workers/caller.ts) through its service
 * bindings: `SERVICE` is the QuotaService entrypoint, `PLATFORM` the QuotaPlatform one.
 * Answers the method's return value; a thrown error fails with its message.
 */
export async function viaBinding(
  binding: "SERVICE" | "PLATFORM",
  method: string,
  ...args: unknown[]
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect answers of many shapes
): Promise<any> {
  const answer = await env.CALLER.call(binding, method, args);
  if ("threw" in answer) throw new Error(answer.threw);
  return answer.value;
}

export const service = (method: string, ...args: unknown[]) =>
  viaBinding("SERVICE", method, ...args);
export const platform = (method: string, ...args: unknown[]) =>
  viaBinding("PLATFORM", method, ...args);
