/**
 * Deterministic randomness for the simulator: the same seed gives the same ids,
 * so two runs of one test (or one `mdeploy sim --seed`) print the same output.
 */
export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number;
  /** A version-4 shaped UUID built from the seeded stream. */
  uuid(): string;
}

/** mulberry32: small, fast and good enough for ids and tie-breaking. */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (n: number): string => {
    let out = "";
    for (let i = 0; i < n; i++) out += Math.floor(next() * 16).toString(16);
    return out;
  };
  return {
    next,
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(next() * 4)]}${hex(3)}-${hex(12)}`,
  };
}
