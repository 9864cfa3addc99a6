/**
 * JSON with object keys sorted, so equal values fingerprint equally whatever their key order.
 * Keys whose value is `undefined` are left out, as JSON.stringify leaves them out: a binding
 * caller's `{ ttlSeconds: undefined }` is the same request as an HTTP body without the key.
 */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What an Idempotency-Key is bound to: the operation and its validated input (decoded path
 * parameters, query and body), never the raw URL or body text. So a retry is the same request
 * whether it comes over HTTP (however the path is percent-encoded) or over a service binding.
 */
export function fingerprint(
  operation: string,
  input: { params: unknown; query?: unknown; body?: unknown },
): Promise<string> {
  const request = { params: input.params, query: input.query ?? null, body: input.body ?? null };
  return sha256Hex(`${operation}\n${canonical(request)}`);
}
