/**
 * The one seeded generator of the project (mulberry32): the same numbers on
 * every platform, so a seed gives the same demo notes, test models, training
 * runs (init, shuffles, dropout, splits) and ICD maps everywhere. Hand-written
 * because it is five lines and fixtures depend on its exact sequence.
 */
export class SeededRandom {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** uniform in [0, 1) */
  uniform(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** standard normal (Box-Muller) */
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
  /** Fisher-Yates, in place */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

/** The generator as a function, for libraries that take one (umap-js's `random`). */
export function seededUniform(seed: number): () => number {
  const rng = new SeededRandom(seed);
  return () => rng.uniform();
}
