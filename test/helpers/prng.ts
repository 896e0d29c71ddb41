// A small seeded PRNG (mulberry32) for differential and fuzz tests: a failing run is replayed from
// its printed seed.
/** Seeded 32-bit generator; the same seed gives the same sequence on every machine. */
export class Prng {
  private s: number;
  constructor(readonly seed: number) { this.s = seed | 0; }

  /** Uniform u32. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor((this.u32() / 0x100000000) * n); }

  /** True with probability p. */
  chance(p: number): boolean { return this.u32() / 0x100000000 < p; }

  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** Mostly small sizes, sometimes large: small below `small`, up to `large` with probability pLarge. */
  size(small: number, large: number, pLarge: number): number {
    return this.chance(pLarge) ? this.int(large + 1) : this.int(small + 1);
  }

  /** Splits `buf` at up to `maxCuts` random points (views, in order). */
  split(buf: Buffer, maxCuts: number): Buffer[] {
    const cuts = Array.from({ length: this.int(maxCuts + 1) }, () => this.int(buf.length + 1)).sort((a, b) => a - b);
    const out: Buffer[] = [];
    let at = 0;
    for (const c of [...cuts, buf.length]) { out.push(buf.subarray(at, c)); at = c; }
    return out;
  }
}

/** The seed for this run: $SVCNET_SEED when set (to replay a failure), else random. */
export function runSeed(): number {
  const env = process.env.SVCNET_SEED;
  return env ? Number(env) >>> 0 : (Math.random() * 0x100000000) >>> 0;
}
