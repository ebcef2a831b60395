import { BUSY_OTHERS, type Measurement } from './load.js';
import type { RunResults, TargetCheck } from './results.js';
import { scaleRatio } from './targets.js';

// Renders a run as aligned Markdown tables: readable in a terminal, and pasted as they are
// into docs/performance.md.

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** req/s, marked † when other programs took CPU time during the measurement. */
const rate = (m: Measurement) =>
  `${Math.round(m.reqPerSec).toLocaleString('en-US')}${m.othersCpu > BUSY_OTHERS ? ' †' : ''}`;
const lat = (m: Measurement) => `${m.p50Ms} / ${m.p99Ms} ms`;
const rss = (mb: number) => `${mb.toFixed(0)} MB`;
const times = (ratio: number) => `${ratio.toFixed(2)} ×`;
const seconds = (s: number | null | undefined) =>
  s === null || s === undefined ? 'cached' : `${s.toFixed(1)} s`;

function targetsTable(checks: TargetCheck[]): string {
  const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : '**missed**');
  return table(
    ['target', 'measured', ''],
    checks.map((c) => [c.target, c.measured, verdict(c.met)]),
  );
}

function header(r: RunResults): string {
  const s = r.settings;
  const run =
    s.amount === null ? `${s.warmupS} s warm-up + ${s.durationS} s` : `${s.amount} requests`;
  const load = `${s.connections} connections, ${run} per run`;
  return [
    `Run on ${r.date} of commit ${r.commit}: \`${r.command}\``,
    '',
    `- machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GB, ${r.machine.os}`,
    `- Node ${r.node}; ${load}; CPU busy before the run: ${Math.round(r.busyAtStart * 100)}%`,
    ...(r.seed
      ? [`- ${r.seed.tasks.toLocaleString('en-US')} tasks seeded (${seconds(r.seed.seconds)})`]
      : []),
  ].join('\n');
}

function comparisons(r: RunResults): string[] {
  if (!r.comparisons) return [];
  const lines = [
    `- cold start: Trellis ${r.coldStartMs?.trellis.toFixed(0)} ms, ` +
      `baseline ${r.coldStartMs?.baseline?.toFixed(0)} ms`,
    '',
    table(
      [
        'workload',
        'Trellis req/s',
        'baseline req/s',
        'ratio',
        'Trellis p50 / p99',
        'baseline p50 / p99',
        'Trellis RSS',
        'baseline RSS',
      ],
      r.comparisons.map((c) => [
        c.name,
        rate(c.trellis),
        rate(c.baseline),
        times(c.ratio),
        lat(c.trellis),
        lat(c.baseline),
        rss(c.trellis.rss.perProcessMb),
        rss(c.baseline.rss.perProcessMb),
      ]),
    ),
    '',
    ...r.comparisons.map((c) => `- ${c.name}: ${c.description}`),
  ];
  return lines;
}

function scale(r: RunResults): string[] {
  if (!r.scale) return [];
  const cell = (point: RunResults['scale'] & object, i: number, name: string) => {
    const found = point[i]?.workloads.find((w) => w.name === name)?.result;
    return found ? [lat(found), rate(found)] : ['–', '–'];
  };
  const points = r.scale;
  const ratio = scaleRatio(points);
  return [
    '',
    table(
      ['tasks', 'seed', 'tasks.list p50 / p99', 'req/s', 'keyset page p50 / p99', 'req/s', 'RSS'],
      points.map((p, i) => [
        p.tasks.toLocaleString('en-US'),
        seconds(p.seedSeconds),
        ...cell(points, i, 'tasks.list'),
        ...cell(points, i, 'tasks.list.keyset'),
        rss(Math.max(...p.workloads.map((w) => w.result.rss.perProcessMb))),
      ]),
    ),
    '',
    ...(ratio ? ['', `tasks.list p50, largest ÷ smallest: ${times(ratio.ratio)}`] : []),
  ];
}

function workers(r: RunResults): string[] {
  if (!r.workers) return [];
  const n = r.settings.workers;
  return [
    '',
    table(
      [
        'workload',
        '1 process req/s',
        `${n} workers req/s`,
        'ratio',
        '1 process p50 / p99',
        `${n} workers p50 / p99`,
        `${n} workers RSS (all processes)`,
      ],
      r.workers.map((w) => [
        w.name,
        rate(w.one),
        rate(w.many),
        times(w.ratio),
        lat(w.one),
        lat(w.many),
        rss(w.many.rss.totalMb),
      ]),
    ),
  ];
}

function disturbed(r: RunResults): string[] {
  const all = [
    ...(r.comparisons ?? []).flatMap((c) => [c.trellis, c.baseline]),
    ...(r.scale ?? []).flatMap((p) => p.workloads.map((w) => w.result)),
    ...(r.workers ?? []).flatMap((w) => [w.one, w.many]),
  ];
  const worst = Math.max(0, ...all.map((m) => m.othersCpu));
  if (worst <= BUSY_OTHERS) return [];
  return [
    '',
    `† other programs used more than ${BUSY_OTHERS * 100}% of the CPU during this ` +
      `measurement (up to ${Math.round(worst * 100)}%): its numbers are too low.`,
  ];
}

/** The run as Markdown: header, the mode's table, the targets it can judge. */
export function renderRun(r: RunResults): string {
  return [
    header(r),
    ...comparisons(r),
    ...scale(r),
    ...workers(r),
    ...disturbed(r),
    ...(r.targets.length > 0 ? ['', targetsTable(r.targets)] : []),
  ].join('\n');
}
