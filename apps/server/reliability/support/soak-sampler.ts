import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

// What the soak watches from outside the server, once a second: its resident memory and the
// CPU time it used (from /proc, so the figures are the server's own, not the test runner's)
// and its SQLite WAL file.

/** One reading of the server process and its WAL file. */
export interface Sample {
  /** Milliseconds since the sampler started. */
  atMs: number;
  /** VmRSS of the server process and its workers, in bytes (null once it is gone). */
  rssBytes: number | null;
  /** CPU time (user + system) the server process and its workers used so far, in ms. */
  cpuMs: number | null;
  /** Size of `<database>-wal` in bytes (0 when there is none). */
  walBytes: number;
  /**
   * The WAL header's checkpoint sequence number (null without a header): SQLite bumps it
   * each time a checkpoint has copied the whole log back and the log restarts from its
   * start. The file keeps its size when that happens, so the size alone cannot show it.
   */
  walCheckpointSeq: number | null;
}

/** VmRSS of `pid` in bytes, read from /proc/<pid>/status; null when it cannot be read. */
export function rssOf(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null; // the process has exited
  }
}

/** Pids of `pid`'s child processes (the workers, when the server runs several). */
function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Linux's USER_HZ: the unit of /proc's CPU times (100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of `pid` in ms, from /proc/<pid>/stat; null when it cannot be read. */
export function cpuOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null; // the process has exited
  }
}

/** CPU time of `pid` and its children together, in ms (see {@link serverRssOf}). */
export function serverCpuOf(pid: number): number | null {
  const own = cpuOf(pid);
  if (own === null) return null;
  return childrenOf(pid).reduce((sum, child) => sum + (cpuOf(child) ?? 0), own);
}

/** VmRSS of `pid` and its children together: the whole server, with WORKERS > 1 too. */
export function serverRssOf(pid: number): number | null {
  const own = rssOf(pid);
  if (own === null) return null;
  return childrenOf(pid).reduce((sum, child) => sum + (rssOf(child) ?? 0), own);
}

/** The WAL file's size and header checkpoint sequence (big-endian u32 at byte 12). */
export function walState(walPath: string): Pick<Sample, 'walBytes' | 'walCheckpointSeq'> {
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return { walBytes: 0, walCheckpointSeq: null }; // no WAL yet, or removed on close
  }
  try {
    const walBytes = statSync(walPath).size;
    const header = Buffer.alloc(32);
    const read = readSync(fd, header, 0, 32, 0);
    return { walBytes, walCheckpointSeq: read === 32 ? header.readUInt32BE(12) : null };
  } finally {
    closeSync(fd);
  }
}

/** Samples `pid` and `walPath` every `intervalMs` until `stop()`, which returns the series. */
export function startSampler(pid: number, walPath: string, intervalMs = 1000) {
  const started = Date.now();
  const samples: Sample[] = [];
  const take = (atMs = Date.now() - started) =>
    samples.push({
      atMs,
      rssBytes: serverRssOf(pid),
      cpuMs: serverCpuOf(pid),
      ...walState(walPath),
    });
  // The first sample is the series' time 0 by definition: read a millisecond late (a busy
  // machine, the clock ticking), it left the first window without a reading at its start.
  take(0);
  const timer = setInterval(take, intervalMs);
  return {
    stop(): Sample[] {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Mean of `values` (0 when empty). */
function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** What the checks need from an RSS series: range, and the means of its 2nd and 4th quarter. */
export function rssSummary(samples: Sample[]) {
  const rss = samples.map((s) => s.rssBytes).filter((v): v is number => v !== null);
  const quarter = Math.max(1, Math.floor(rss.length / 4));
  return {
    count: rss.length,
    minBytes: Math.min(...rss),
    maxBytes: Math.max(...rss),
    secondQuarterMeanBytes: mean(rss.slice(quarter, 2 * quarter)),
    lastQuarterMeanBytes: mean(rss.slice(-quarter)),
  };
}

/** What the checks need from the WAL series: its largest size and how often it restarted. */
export function walSummary(samples: Sample[]) {
  const seqs = samples.map((s) => s.walCheckpointSeq).filter((v): v is number => v !== null);
  let restarts = 0;
  let shrinks = 0;
  for (let i = 1; i < samples.length; i += 1) {
    const [before, after] = [samples[i - 1], samples[i]] as [Sample, Sample];
    if (after.walBytes < before.walBytes) shrinks += 1;
  }
  for (let i = 1; i < seqs.length; i += 1) {
    if ((seqs[i] as number) !== (seqs[i - 1] as number)) restarts += 1;
  }
  return {
    maxBytes: Math.max(0, ...samples.map((s) => s.walBytes)),
    lastBytes: samples.at(-1)?.walBytes ?? 0,
    /** Samples after which the WAL had restarted (a full checkpoint) at least once. */
    restarts,
    /** Samples in which the file got smaller (a TRUNCATE checkpoint or journal_size_limit). */
    shrinks,
    firstCheckpointSeq: seqs[0] ?? null,
    lastCheckpointSeq: seqs.at(-1) ?? null,
  };
}

/**
 * The server's CPU time per call in each window of `windowMs` (calls counted by the window
 * they started in): what a call costs the server, which other processes on the machine do
 * not change the way they change its latency.
 */
export function cpuPerCall(
  samples: Sample[],
  windows: { calls: number }[],
  windowMs: number,
): number[] {
  const cpuAt = (ms: number) => {
    // The last sample at or before `ms` (samples are a second apart).
    const before = samples.filter((s) => s.atMs <= ms && s.cpuMs !== null).at(-1);
    return before?.cpuMs ?? Number.NaN;
  };
  return windows.map(
    ({ calls }, i) => (cpuAt((i + 1) * windowMs) - cpuAt(i * windowMs)) / Math.max(1, calls),
  );
}

/** Bytes as MB with one decimal, for the summary line. */
export function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
