/**
 * The core's only source of randomness is injected, so that a run is a function of its
 * inputs. `createSeededRandom` gives a small, fast, reproducible generator (SplitMix32
 * seeding a xoshiro128**), good enough for election jitter and simulation, not for
 * cryptography.
 */

// Bound once: a global lookup per call is measurably slow inside Jest's sandbox.
const { imul, floor } = Math;

/** Where the core draws its randomness (election jitter) from. */
export interface RandomSource {
  /** A uniformly distributed integer in [0, bound). `bound` is a positive integer. */
  int(bound: number): number;
}

/** A `RandomSource` that replays the same sequence for the same seed. */
export interface SeededRandom extends RandomSource {
  /** A uniformly distributed float in [0, 1). */
  float(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** An independent generator derived from this one (for per-node streams). */
  fork(): SeededRandom;
}

/** A fast deterministic generator; the same `seed` gives the same sequence. */
export function createSeededRandom(seed: number): SeededRandom {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1;
  const next = (): number => {
    const result = imul(rotl(imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const float = (): number => next() / 0x1_0000_0000;
  return {
    int: (bound) => floor(float() * bound),
    float,
    chance: (p) => float() < p,
    fork: () => createSeededRandom(next()),
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
