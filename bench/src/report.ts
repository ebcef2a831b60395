import { BUSY_OTHERS, type Measurement } from './load.js';
import type { RunResults, TargetCheck } from './results.js';
import { scaleRatio } from './targets.js';
import type { WebhookMeasurement } from './webhooks.js';

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

function header(r: RunResults, load = loadLine(r)): string {
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

function loadLine(r: RunResults): string {
  const s = r.settings;
  const run =
    s.amount === null ? `${s.warmupS} s warm-up + ${s.durationS} s` : `${s.amount} requests`;
  return `${s.connections} connections, ${run} per run`;
}

function webhookLoadLine(r: RunResults): string {
  const s = r.settings;
  const run =
    s.amount === null ? `${s.warmupS} s warm-up + ${s.durationS} s` : `${s.amount} writes`;
  return `tasks.create at a fixed rate (open loop), ${run} per setting`;
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

/** A lag or latency in ms: one decimal below 10. */
const msOf = (value: number) => (Math.abs(value) < 10 ? value.toFixed(1) : value.toFixed(0));

function webhookRows(r: RunResults): string[] {
  const runs = r.webhooks?.runs;
  if (!runs || runs.length === 0) return [];
  const count = (n: number) => Math.round(n).toLocaleString('en-US');
  const marked = (text: string, m: WebhookMeasurement) =>
    `${text}${m.othersCpu > BUSY_OTHERS ? ' †' : ''}`;
  const worst = Math.max(0, ...runs.map((m) => m.othersCpu));
  return [
    '',
    table(
      [
        'endpoints',
        'writes/s asked',
        'writes/s',
        'write p50 / p99',
        'events/s',
        'lag p50 / p95 / p99 / max',
        'slowest endpoint p50',
        'events',
        'lost',
        'repeats',
        'server CPU / write (of a core)',
        'RSS',
      ],
      runs.map((m) => [
        String(m.endpoints),
        String(m.rate),
        marked(count(m.writesPerSec), m),
        `${msOf(m.write.p50Ms)} / ${msOf(m.write.p99Ms)} ms`,
        m.endpoints === 0 ? '–' : marked(count(m.eventsPerSec), m),
        m.endpoints === 0
          ? '–'
          : `${[m.lag.p50Ms, m.lag.p95Ms, m.lag.p99Ms, m.lag.maxMs].map(msOf).join(' / ')} ms`,
        m.endpoints === 0 ? '–' : `${msOf(Math.max(...m.endpointLagP50Ms))} ms`,
        count(m.events),
        count(m.lost),
        count(m.duplicates),
        `${msOf(m.serverCpuPerWriteMs)} ms (${Math.round(m.serverCpuShare * 100)}%)`,
        rss(m.rss.perProcessMb),
      ]),
    ),
    '',
    '- lag: from the answer to a write (tasks.create) to its `task.created` event at the ' +
      'receiver, over every endpoint and write; slowest endpoint p50: the highest of the ' +
      "endpoints' own median lags (one far above the rest waited for the worker); events/s: " +
      'events received at all endpoints ÷ time from the first write to the last event; ' +
      'server CPU / write: the server ' +
      "process's CPU time over the same span ÷ writes (a write and its deliveries to every " +
      'endpoint; with 0 endpoints the write alone), and ÷ the span (near 100%, its event ' +
      'loop is the limit); Trellis only (the baseline sends no webhooks)',
    ...(worst > BUSY_OTHERS
      ? [
          `- † other programs used more than ${BUSY_OTHERS * 100}% of the CPU during this ` +
            `setting (up to ${Math.round(worst * 100)}%): its numbers are too low`,
        ]
      : []),
    ...((r.webhooks?.targets.length ?? 0) > 0 ? ['', targetsTable(r.webhooks?.targets ?? [])] : []),
  ];
}

/** The mode's own tables (comparison, scale or workers) and the targets judged on them. */
function modeRows(r: RunResults): string[] {
  const rows = [...comparisons(r), ...scale(r), ...workers(r)];
  if (rows.length === 0) return [];
  return [...rows, ...disturbed(r), ...(r.targets.length > 0 ? ['', targetsTable(r.targets)] : [])];
}

/** The run as Markdown: header, the mode's table, the targets it can judge, the webhook row. */
export function renderRun(r: RunResults): string {
  const mode = modeRows(r);
  const webhooks = webhookRows(r);
  if (mode.length === 0) return [header(r, webhookLoadLine(r)), ...webhooks].join('\n');
  return [
    header(r),
    ...mode,
    ...(webhooks.length > 0 ? ['', `Webhooks: ${webhookLoadLine(r)}`, ...webhooks] : []),
  ].join('\n');
}

/**
 * The sections of docs/performance.md this run rewrites, by marker name: the mode's (when
 * it measured any of its workloads) and `webhooks` (when it measured the webhook row).
 */
export function renderSections(r: RunResults): Record<string, string> {
  const sections: Record<string, string> = {};
  const mode = modeRows(r);
  if (mode.length > 0) sections[r.mode] = [header(r), ...mode].join('\n');
  const webhooks = webhookRows(r);
  if (webhooks.length > 0) {
    sections.webhooks = [header(r, webhookLoadLine(r)), ...webhooks].join('\n');
  }
  return sections;
}
