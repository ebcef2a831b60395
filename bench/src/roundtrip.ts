// `node bench/dist/roundtrip.js [--tasks N]`: the workspace export/import round trip at
// scale. Seeds N tasks (default 200,000; `pnpm seed`'s data), exports the demo workspace
// from one server, imports the document into a fresh server (another database), exports
// that again, and checks that the two documents are the same with ids aside. Prints the
// time and the server's peak RSS of each step (docs/performance.md, "Export and import").
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { JSONParser } from '@streamparser/json';
import { sampleRss } from './proc.js';
import { seededDatabase } from './seed.js';
import { type RunningServer, startServer } from './servers.js';

const OWNER = {
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  password: 'correct horse battery staple',
};

async function call<T>(
  server: RunningServer,
  path: string,
  body: unknown,
  token?: string,
): Promise<T> {
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!json.result) throw new Error(`${path}: ${JSON.stringify(json.error)}`);
  return json.result.data;
}

async function get<T>(
  server: RunningServer,
  path: string,
  input: unknown,
  token: string,
): Promise<T> {
  const response = await fetch(
    `${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  const json = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!json.result) throw new Error(`${path}: ${JSON.stringify(json.error)}`);
  return json.result.data;
}

interface Step {
  seconds: number;
  peakRssMb: number;
}

/** Runs `work` while sampling the server's RSS. */
async function measured<T>(server: RunningServer, work: () => Promise<T>): Promise<[T, Step]> {
  const rss = sampleRss(server.pid, 100);
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  return [result, { seconds, peakRssMb: rss.stop().perProcessMb }];
}

async function download(server: RunningServer, workspaceId: string, token: string, file: string) {
  const response = await fetch(`${server.url}/api/v1/workspaces/${workspaceId}/export`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200 || !response.body) throw new Error(`export: ${response.status}`);
  await pipeline(Readable.fromWeb(response.body as never), createWriteStream(file));
}

interface Job {
  id: string;
  status: string;
  phase: string;
  done: number;
  total: number | null;
  error: string | null;
  workspaceId: string | null;
}

async function upload(server: RunningServer, token: string, file: string): Promise<Job> {
  const response = await fetch(`${server.url}/api/v1/workspaces/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: Readable.toWeb(createReadStream(file)) as never,
    duplex: 'half',
  } as RequestInit);
  if (response.status !== 202)
    throw new Error(`import: ${response.status} ${await response.text()}`);
  const job = (await response.json()) as Job;
  for (;;) {
    const now = await get<Job>(server, 'imports.get', { jobId: job.id }, token);
    if (now.status === 'succeeded') return now;
    if (now.status === 'failed') throw new Error(`import failed: ${now.error}`);
    await sleep(250);
  }
}

const isIdKey = (key: string) => key === 'id' || key === 'createdBy' || /Id$/.test(key);

/**
 * A hash of each top-level value and section row of the document, with ids replaced by
 * ordinals in order of first appearance (a value under an id key, or a string already
 * seen as one) and without `exportedAt`; streamed, so the document's size does not matter.
 */
async function normalisedRows(file: string): Promise<string[]> {
  const ordinals = new Map<string, number>();
  const normalise = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') {
      let ordinal = ordinals.get(value);
      if (ordinal === undefined && key !== undefined && isIdKey(key)) {
        ordinal = ordinals.size + 1;
        ordinals.set(value, ordinal);
      }
      return ordinal === undefined ? value : `#${ordinal}`;
    }
    if (Array.isArray(value)) return value.map((item) => normalise(item, key));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
    }
    return value;
  };
  const rows: string[] = [];
  const parser = new JSONParser({
    paths: ['$.format', '$.version', '$.counts', '$.workspace', '$.*.*'],
    keepStack: false,
  });
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 1 && (key === 'exportedAt' || typeof value === 'object')) {
      if (key === 'exportedAt' || Array.isArray(value)) return;
    }
    if (stack.length === 2 && (stack[1]?.key === 'counts' || stack[1]?.key === 'workspace')) return;
    const where = stack.length === 1 ? String(key) : `${String(stack[1]?.key)}[${String(key)}]`;
    const text = JSON.stringify(normalise(value));
    rows.push(`${where} ${createHash('sha256').update(text).digest('base64').slice(0, 16)}`);
  };
  for await (const chunk of createReadStream(file)) parser.write(chunk as Buffer);
  return rows;
}

async function main() {
  const { values } = parseArgs({ options: { tasks: { type: 'string' } } });
  const tasks = Number(values.tasks ?? 200_000);
  const dir = mkdtempSync(join(tmpdir(), 'trellis-roundtrip-'));
  const servers: RunningServer[] = [];
  try {
    console.error(`seeding ${tasks} tasks…`);
    const seeded = await seededDatabase(tasks, { cache: false, fresh: true, dir });
    const env = { REQUEST_TIMEOUT_MS: '3600000', IMPORT_DIR: join(dir, 'uploads') };
    const source = await startServer('trellis', seeded.file, { env });
    servers.push(source);
    const sourceToken = (
      await call<{ session: { token: string } }>(source, 'auth.signIn', {
        email: OWNER.email,
        password: OWNER.password,
      })
    ).session.token;
    const workspaces = await get<{ id: string; slug: string }[]>(
      source,
      'workspaces.list',
      undefined,
      sourceToken,
    );
    const demo = workspaces.find((w) => w.slug === 'demo') ?? workspaces[0];
    if (!demo) throw new Error('no demo workspace');

    const first = join(dir, 'first.json');
    const [, exportStep] = await measured(source, () =>
      download(source, demo.id, sourceToken, first),
    );
    await source.stop();

    const target = await startServer('trellis', join(dir, 'target.db'), { env });
    servers.push(target);
    const targetToken = (await call<{ session: { token: string } }>(target, 'auth.signUp', OWNER))
      .session.token;
    const [job, importStep] = await measured(target, () => upload(target, targetToken, first));

    const second = join(dir, 'second.json');
    const [, reexportStep] = await measured(target, () =>
      download(target, job.workspaceId as string, targetToken, second),
    );
    await target.stop();

    const [a, b] = [await normalisedRows(first), await normalisedRows(second)];
    const differ = a.findIndex((row, i) => row !== b[i]);
    const same = differ === -1 && a.length === b.length;
    const mb = (file: string) => (statSync(file).size / 1024 / 1024).toFixed(1);
    console.log(
      `tasks ${tasks}; document ${mb(first)} MB (re-export ${mb(second)} MB); ${a.length} rows`,
    );
    const line = (name: string, step: Step) =>
      console.log(
        `${name.padEnd(10)} ${step.seconds.toFixed(1).padStart(7)} s   peak RSS ${step.peakRssMb.toFixed(0)} MB`,
      );
    line('export', exportStep);
    line('import', importStep);
    line('re-export', reexportStep);
    console.log(
      same ? 'identical (ids aside)' : `DIFFERENT at row ${differ}: ${a[differ]} vs ${b[differ]}`,
    );
    if (!same) process.exitCode = 1;
  } finally {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
