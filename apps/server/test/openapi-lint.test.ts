// The OpenAPI document checked by a validator that shares no code with the one that writes
// it, nor with openapi.test.ts's: Redocly's linter, run as its CLI on the document this
// server serves, with the recommended rules (redocly.yaml). Every problem fails, warnings too.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

const cli = join(
  dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
  'bin/cli.js',
);
const config = fileURLToPath(new URL('../redocly.yaml', import.meta.url));

interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer: string }[];
}

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: LintProblem[];
}

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'trellis-openapi-'));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** `redocly lint` of `document`, offline: no telemetry, no update check. */
async function lint(document: unknown, name: string): Promise<LintReport> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(document, null, 2));
  const child = spawn(
    process.execPath,
    [cli, 'lint', file, `--config=${config}`, '--format=json'],
    {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  const text = Buffer.concat(out).toString('utf8');
  try {
    return JSON.parse(text) as LintReport;
  } catch {
    throw new Error(`redocly printed no report: ${text}\n${Buffer.concat(err).toString('utf8')}`);
  }
}

const summary = (report: LintReport) =>
  report.problems.map(
    ({ ruleId, severity, message, location }) =>
      `${severity} ${ruleId} at ${location[0]?.pointer}: ${message}`,
  );

describe('redocly lint of /api/openapi.json', () => {
  it('finds no problem, not even a warning', async () => {
    const document = await (await fetch(`${server.url}/api/openapi.json`)).json();
    const report = await lint(document, 'served');
    expect(summary(report)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('does report a broken document (a dangling reference; an operation with no 4xx)', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses?: unknown }>>;
    };
    const get = document.paths['/tasks/{taskId}']?.get;
    if (!get) throw new Error('no GET /tasks/{taskId}');
    delete get.responses;
    const post = document.paths['/projects/{projectId}/tasks']?.post;
    if (!post) throw new Error('no POST /projects/{projectId}/tasks');
    post.responses = { 201: { $ref: '#/components/responses/NoSuchThing' } };
    const report = await lint(document, 'broken');
    expect(report.totals.errors).toBeGreaterThanOrEqual(1);
    expect(report.problems.map((p) => `${p.severity} ${p.ruleId}`)).toEqual(
      expect.arrayContaining(['error no-unresolved-refs', 'warn operation-4xx-response']),
    );
  });
});
