import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { appRouter } from '../root.js';
import { apiCheckCli } from './cli.js';
import { extractSurface } from './extract.js';
import { serializeSurface } from './surface.js';

// The real `pnpm api:check` command (scripts/api-check.ts under tsx, the router from
// source), pointed at snapshots in a temporary directory.

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'trellis-api-check-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function apiCheck(...args: string[]) {
  const tsx = join(root, 'node_modules/.bin/tsx');
  const script = join(root, 'packages/api/scripts/api-check.ts');
  const run = spawnSync(tsx, ['--conditions=@trellis/source', script, ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('pnpm api:check', () => {
  it('passes on a snapshot of the router and fails when it had a procedure the router lost', () => {
    const surface = extractSurface(appRouter);
    const current = join(dir, 'current.json');
    writeFileSync(current, serializeSurface(surface));
    // Passing in-process: a process of its own costs seconds (tsx compiles the router), and
    // `pnpm test` runs the real command on the real snapshot anyway; the failing run below
    // checks that the command's verdict reaches its exit code.
    const paths = { snapshotPath: current, changelogPath: join(dir, 'none.md') };
    const report = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(apiCheckCli([], { router: appRouter, ...paths })).toBe(0);
    report.mockRestore();

    const older = join(dir, 'older.json');
    const gone = { type: 'query' as const };
    writeFileSync(
      older,
      serializeSurface({ procedures: { ...surface.procedures, 'tasks.gone': gone } }),
    );
    const result = apiCheck('--snapshot', older);
    expect(result.status).toBe(1);
    expect(result.output).toContain('tasks.gone: query removed (breaking: removed)');
  });

  it('answers a usage error for --breaking without --update', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const paths = { snapshotPath: join(dir, 'none.json'), changelogPath: join(dir, 'none.md') };
    expect(apiCheckCli(['--breaking'], { router: appRouter, ...paths })).toBe(2);
    expect(errors.mock.calls.join('\n')).toContain('--breaking only applies with --update');
    errors.mockRestore();
  });
});
