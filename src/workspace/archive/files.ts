// The archive's bytes: gzipped NDJSON and its SHA-256 (names and manifests: policy/archive.ts).

/** The NDJSON of `rows`, gzipped: the same rows always give the same bytes. */
export async function encode(rows: readonly unknown[]): Promise<Uint8Array> {
  const text = rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The NDJSON rows of a file's bytes. */
export async function decode(bytes: ArrayBuffer | Uint8Array): Promise<unknown[]> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const text = await new Response(stream).text();
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
