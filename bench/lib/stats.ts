// Small numeric helpers shared by the workloads: percentiles over latency samples, rates, and
// rounding for the report. Percentiles use the nearest-rank method, so p99 of 200 samples is
// the second-worst sample.

/** The p-th percentile (0 < p ≤ 100) of `samples` by nearest rank; NaN when empty. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: number[]): { p50: number; p99: number; max: number; mean: number } {
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    // A fold, not Math.max(...samples): spreading ~100,000 samples overflows the stack.
    max: samples.length === 0 ? Number.NaN : samples.reduce((a, b) => Math.max(a, b), -Infinity),
    mean,
  };
}

/** `count` events over `ms` milliseconds, per second. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

/** Rounds to 3 significant digits below 100 and to an integer above, for reports. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value);
  if (abs >= 10) return Math.round(value * 10) / 10;
  if (abs >= 1) return Math.round(value * 100) / 100;
  return Number(value.toPrecision(3));
}

/** Milliseconds since an arbitrary origin, sub-millisecond. */
export const nowMs = (): number => performance.now();

/** Wall-clock milliseconds since the epoch, sub-millisecond (comparable with Date.now()). */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** Times `fn` `runs` times (after `warmup` untimed calls); returns the samples in ms. */
export async function timeRuns(
  runs: number,
  warmup: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const start = nowMs();
    await fn(i);
    if (i >= warmup) samples.push(nowMs() - start);
  }
  return samples;
}
