// A small seeded random generator (mulberry32) for the crash test's choices (kill instants,
// kill modes, event pacing), so that a failing run can be replayed with the same seed.

export type Rng = { next(): number; between(min: number, max: number): number };

export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}
