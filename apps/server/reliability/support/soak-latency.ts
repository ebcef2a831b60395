// Client-side latency of every call in the soak, kept per time window so that a drift
// upward (a leak, a table scan that grows with the data, a WAL that never checkpoints)
// shows as later windows being slower than the first.

/** Latency percentiles of one window of the soak. */
export interface WindowStats {
  /** Window number (0 = the first `windowMs` of the soak). */
  index: number;
  calls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The value at percentile `p` (0–100) of ascending `sorted`, nearest rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Collects call durations by the window in which each call started. */
export class LatencyRecorder {
  private readonly windows: number[][] = [];
  /** Per kind of call, the same windows: which kind drifts, when the mix does. */
  private readonly byKind = new Map<string, number[][]>();

  constructor(
    private readonly startedAt: number,
    readonly windowMs = 10_000,
  ) {}

  /** Records a call of `kind` that started at `start` (performance.now()), took `durationMs`. */
  record(kind: string, start: number, durationMs: number): void {
    const index = Math.max(0, Math.floor((start - this.startedAt) / this.windowMs));
    const kindWindows = this.byKind.get(kind) ?? [];
    this.byKind.set(kind, kindWindows);
    for (const windows of [this.windows, kindWindows]) {
      while (windows.length <= index) windows.push([]);
      windows[index]?.push(durationMs);
    }
  }

  /** Stats of each window that lies wholly inside the first `soakMs` of the soak, in order. */
  stats(soakMs: number): WindowStats[] {
    return windowStats(this.windows, Math.floor(soakMs / this.windowMs));
  }

  /** `kind: p50 first→last full window` for each kind, for the summary. */
  drift(soakMs: number): string[] {
    const full = Math.floor(soakMs / this.windowMs);
    return [...this.byKind].map(([kind, windows]) => {
      const stats = windowStats(windows, full);
      const [first, last] = [stats[0], stats.at(-1)];
      return `${kind} ${first?.p50Ms.toFixed(0)}→${last?.p50Ms.toFixed(0)}`;
    });
  }
}

function windowStats(windows: number[][], full: number): WindowStats[] {
  return windows.slice(0, full).map((durations, index) => {
    const sorted = [...durations].sort((a, b) => a - b);
    return {
      index,
      calls: sorted.length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? Number.NaN,
    };
  });
}
