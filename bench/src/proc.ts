import { readFileSync } from 'node:fs';

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // The process exited between listing and reading: it has no memory to count.
    return fallback;
  }
}

/** The resident set of one process in MB, from /proc (0 once it is gone). */
export function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/status`, ''))?.[1];
  return kb === undefined ? 0 : Number(kb) / 1024;
}

/** A process and its descendants (cluster workers are children of the primary). */
export function processTree(pid: number): number[] {
  const children = readOr(`/proc/${pid}/task/${pid}/children`, '')
    .split(' ')
    .filter(Boolean)
    .map(Number);
  return [pid, ...children.flatMap(processTree)];
}

/** The largest RSS seen in any one process of a tree, and of the tree in total. */
export interface RssPeak {
  perProcessMb: number;
  totalMb: number;
}

/** Samples a process tree's RSS every `everyMs` until stopped; returns the peaks. */
export function sampleRss(pid: number, everyMs = 200): { stop(): RssPeak } {
  const peak: RssPeak = { perProcessMb: 0, totalMb: 0 };
  const sample = () => {
    const sizes = processTree(pid).map(rssMb);
    peak.perProcessMb = Math.max(peak.perProcessMb, ...sizes);
    peak.totalMb = Math.max(
      peak.totalMb,
      sizes.reduce((sum, mb) => sum + mb, 0),
    );
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { ...peak };
    },
  };
}

/** CPU time (user + system) used so far by a process tree, in clock ticks (10 ms each). */
export function cpuTicks(pid: number): number {
  return processTree(pid).reduce((sum, each) => {
    // Fields after the command name (which may hold spaces) start at ")": utime and stime
    // are the 12th and 13th of them.
    const stat = readOr(`/proc/${each}/stat`, '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return sum + Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }, 0);
}

/**
 * Waits until a process tree is idle (under 10% of a core for 200 ms), at most `maxMs`.
 * After a run, a server still works through the requests that were in flight when the
 * load generator hung up; the next run must not pay for them.
 */
export async function waitForIdle(pid: number, maxMs = 60_000): Promise<void> {
  const stepMs = 200;
  const deadline = Date.now() + maxMs;
  let before = cpuTicks(pid);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    const now = cpuTicks(pid);
    // Clock ticks are 10 ms each: two ticks in 200 ms is 10% of a core.
    if (now - before <= 2) return;
    before = now;
  }
}

/** Idle and total jiffies of all CPUs together, from /proc/stat. */
function cpuTimes(): { idle: number; total: number } {
  const line = readOr('/proc/stat', '').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // idle and iowait are the 4th and 5th fields.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
}

/**
 * The share (0–1) of the machine's CPU time that was busy over the next `ms`: measured
 * before a run starts, it tells whether something else is competing for the cores.
 */
export async function busyShare(ms = 1000): Promise<number> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? 1 - (after.idle - before.idle) / total : 0;
}

/**
 * Measures how much of the machine's CPU went to processes other than `ours` (process
 * trees) between start and stop, as a share of all cores: a run that shared the machine
 * with a build or a test suite says so instead of passing for a slow server.
 */
export function othersMeter(ours: () => number[]): { stop(): number } {
  const oursTicks = () => ours().reduce((sum, pid) => sum + cpuTicks(pid), 0);
  const before = { times: cpuTimes(), ours: oursTicks() };
  return {
    stop() {
      const after = cpuTimes();
      const total = after.total - before.times.total;
      const busy = total - (after.idle - before.times.idle);
      // /proc/stat and /proc/<pid>/stat both count in clock ticks (USER_HZ).
      const others = busy - (oursTicks() - before.ours);
      return total > 0 ? Math.max(0, others) / total : 0;
    },
  };
}
