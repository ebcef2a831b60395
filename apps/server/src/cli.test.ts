import { createTestDatabase } from '@trellis/db/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startMainProcess } from './test/main-process.js';

// `trellis <command>` as an operator types it (dist/cli.js, which `pnpm trellis` runs).

function trellis(args: string[], env: Record<string, string> = {}) {
  const server = startMainProcess(env, { script: 'cli', args });
  onTestFinished(() => {
    server.child.kill('SIGKILL');
  });
  return server;
}

describe('trellis CLI', () => {
  it('serve --workers 2 --port 0 runs two processes on one port and stops them on SIGTERM', async () => {
    const database = await createTestDatabase();
    onTestFinished(() => database.destroy());
    // An invalid PORT in the environment: the flag must win over it.
    const run = trellis(
      ['serve', '--workers', '2', '--port', '0', '--database-url', database.url],
      { PORT: 'eighty' },
    );
    await expect.poll(() => run.output().match(/Server listening at/g)?.length).toBe(2);
    const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1];
    expect(url).toBeDefined();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const pids = run.output().matchAll(/"pid":(\d+)[^\n]*Server listening/g);
    expect(new Set([...pids].map((m) => m[1])).size).toBe(2);
  });

  it('refuses an unknown command or option with the usage, exit 2', async () => {
    const unknown = trellis(['serv']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toMatch(/unknown command "serv"[\s\S]*usage: trellis/);

    const option = trellis(['migrate', '--workers', '2']);
    expect(await option.exited).toBe(2);
    expect(option.output()).toMatch(/--workers/);
  });

  it('names the setting a bad flag value breaks, in one line', async () => {
    const run = trellis(['serve', '--workers', 'many', '--database-url', 'file::memory:']);
    expect(await run.exited).toBe(1);
    expect(run.output().trim().split('\n')).toHaveLength(1);
    expect(run.output()).toMatch(/WORKERS/);
  });

  it('--help prints the commands', async () => {
    const run = trellis(['--help']);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/serve \[--workers N\]/);
  });
});
