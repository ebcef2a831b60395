/** A seeded source of numbers in [0, 1) (mulberry32): the same seed replays the same run. */
export type Random = () => number;

/** A fresh seed, or the one in the environment variable `name` to replay a failed run. */
export function seedFrom(name: string): number {
  const given = process.env[name];
  return given ? Number(given) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

/** mulberry32: tiny, fast and good enough to pick delays, projects, titles and calls. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** An integer in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
