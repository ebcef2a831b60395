import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrateToLatest } from '@trellis/db';
import { testDatabaseDialect } from '@trellis/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { finished, spawnScript } from '../test/main-process.js';

// A start that cannot succeed (bad settings, a port in use, a database file it cannot open
// or write) prints ONE line to stderr saying what and why, no stack, and exits non-zero.
// The real server (dist/main.js), started as an operator starts it.

// File permissions do not bind root: as root, the server runs as `nobody` for those cases.
const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-start-'));
  // Searchable by the unprivileged user; what is inside decides each case.
  chmodSync(dir, 0o755);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the server until it exits; resolves with its exit code and what it printed. */
function run(env: Record<string, string>, options: { uid?: number; gid?: number } = {}) {
  const child = spawnScript(
    'main',
    [],
    { LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    options,
  );
  cleanups.push(() => child.kill('SIGKILL'));
  return finished(child);
}

/** Expects a failed start whose stderr is one line matching `line`. */
async function expectOneLine(
  result: Promise<{ code: number | null; stdout: string; stderr: string }>,
  line: RegExp,
) {
  const { code, stdout, stderr } = await result;
  expect(code, `stdout: ${stdout}\nstderr: ${stderr}`).not.toBe(0);
  expect(stdout).not.toContain('Server listening');
  const lines = stderr.split('\n').filter((text) => text.trim() !== '');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(stderr).not.toMatch(/^\s+at /m);
}

async function migratedDatabase(path: string): Promise<void> {
  const db = createDatabase(`file:${path}`);
  await migrateToLatest(db);
  await db.destroy();
}

// Each case waits for a process to start and fail: they run side by side.
describe.concurrent('a start that cannot succeed says why in one line', () => {
  it.each([
    ['PORT', 'eighty', /^Invalid configuration: PORT: /],
    ['SHUTDOWN_TIMEOUT_MS', '-5', /^Invalid configuration: SHUTDOWN_TIMEOUT_MS: /],
    ['DATABASE_POOL_SIZE', '0', /^Invalid configuration: DATABASE_POOL_SIZE: /],
    ['WORKERS', 'many', /^Invalid configuration: WORKERS: /],
    [
      'DATABASE_URL',
      'mysql://db/trellis',
      /^Invalid configuration: DATABASE_URL: unsupported database URL scheme in mysql:\/\//,
    ],
  ])('%s=%s', async (name, value, line) => {
    await expectOneLine(run({ [name]: value }), line);
  });

  it('a port another process listens on', async () => {
    const other: Server = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => other.close());
    const address = other.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const dir = tempDir();

    await expectOneLine(
      run({ DATABASE_URL: `file:${join(dir, 'trellis.db')}`, PORT: String(address.port) }),
      new RegExp(
        `^Trellis failed to start: cannot listen on 127\\.0\\.0\\.1 port ${address.port}: .*EADDRINUSE.*another process is listening there`,
      ),
    );
  });

  it('a PostgreSQL server that does not answer', async () => {
    await expectOneLine(
      run({ DATABASE_URL: 'postgres://trellis@127.0.0.1:1/trellis' }),
      /^Trellis failed to start: cannot use the database \(DATABASE_URL\): .*ECONNREFUSED/,
    );
  });

  describe.runIf(testDatabaseDialect() === 'sqlite')(
    'SQLite files (not the dialect under test: the same in both passes, run once)',
    () => {
      it('a directory that cannot be created', async () => {
        const dir = tempDir();
        writeFileSync(join(dir, 'data'), 'a file where a directory should be');

        await expectOneLine(
          run({ DATABASE_URL: `file:${join(dir, 'data', 'trellis.db')}` }),
          /^Trellis failed to start: cannot open the database \(DATABASE_URL\): .*mkdir.*a file stands where a directory is expected/,
        );
      });

      it('a path that is a directory', async () => {
        const dir = tempDir();
        mkdirSync(join(dir, 'trellis.db'));

        await expectOneLine(
          run({ DATABASE_URL: `file:${join(dir, 'trellis.db')}` }),
          /^Trellis failed to start: cannot open the database \(DATABASE_URL\): unable to open database file \(cannot open the database file/,
        );
      });

      it('a database file this user cannot read', async () => {
        const dir = tempDir();
        const file = join(dir, 'trellis.db');
        await migratedDatabase(file);
        chmodSync(file, 0o000);

        await expectOneLine(
          run({ DATABASE_URL: `file:${file}` }, unprivileged),
          /^Trellis failed to start: cannot open the database \(DATABASE_URL\): unable to open database file/,
        );
      });

      it('a migrated database file this user cannot write', async () => {
        const dir = tempDir();
        const file = join(dir, 'trellis.db');
        await migratedDatabase(file);
        // Its directory writable (SQLite keeps its -wal and -shm files there), the file not.
        chmodSync(dir, 0o777);
        chmodSync(file, 0o444);

        await expectOneLine(
          run({ DATABASE_URL: `file:${file}` }, unprivileged),
          /^Trellis failed to start: cannot (open|use) the database \(DATABASE_URL\): attempt to write a readonly database \(the database file or its directory is not writable by this user\)/,
        );
      });

      it('a directory this user cannot write a new database into', async () => {
        const dir = tempDir();

        await expectOneLine(
          run({ DATABASE_URL: `file:${join(dir, 'trellis.db')}` }, unprivileged),
          /^Trellis failed to start: cannot open the database \(DATABASE_URL\): unable to open database file/,
        );
      });
    },
  );
});
