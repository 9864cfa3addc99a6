/**
 * The page takes its role and claim types from src/claims.ts, whose type imports reach
 * src/storage.ts, which names the Workers runtime's SqlStorage. The page is type-checked with
 * the DOM's types, not the Workers runtime's (the two disagree on Element, Response...), so the
 * part of SqlStorage that file uses is stood in for here. Only types cross: nothing of storage
 * is in the bundle (scripts/build-app.mjs lists what is).
 */
interface SqlStorage {
  exec(query: string, ...params: unknown[]): { toArray(): unknown[]; readonly rowsWritten: number };
}
