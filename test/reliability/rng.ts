/** A small seeded generator (mulberry32), so a run's choices can be replayed from its seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}

export type Rng = ReturnType<typeof rng>;

/** The run's seed: RELIABILITY_SEED when set (to replay a run), else a fresh one. */
export function seedFrom(value: string | undefined): number {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isSafeInteger(parsed)
    ? parsed
    : Math.floor(Math.random() * 2 ** 31);
}
