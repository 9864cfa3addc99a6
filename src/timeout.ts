/**
 * `promise`, or a rejection once `ms` have passed without it settling: how long the service
 * waits on another store (D1, a due index shard) before deciding without it (docs/catalogue.md,
 * "When D1 is down", "The fan-out"). The timer is cleared either way.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
