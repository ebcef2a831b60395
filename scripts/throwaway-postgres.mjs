// A PostgreSQL cluster for one test run: created in a temp folder, listening on a free
// loopback port, durability off (the data is thrown away), removed when stopped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's postgresql packages put their binaries, one folder per major version. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The newest installed PostgreSQL's bin folder, or null when there is none. */
export function postgresBinDir() {
  if (!existsSync(DEBIAN_ROOT)) return null;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((name) => existsSync(join(DEBIAN_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  return newest === undefined ? null : join(DEBIAN_ROOT, newest, 'bin');
}

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

/**
 * initdb refuses to run as root: as root the cluster belongs to the `postgres` user (which
 * Debian's package creates), otherwise to whoever runs the tests.
 * @param {string} bin
 * @param {string[]} args
 */
function asClusterOwner(bin, args) {
  const isRoot = process.getuid?.() === 0;
  const [command, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', bin, ...args]]
    : [bin, args];
  const run = spawnSync(command, argv, { encoding: 'utf8' });
  if (run.status !== 0) {
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error?.message ?? ''}`.trim();
    throw new Error(`${bin} ${args[0] ?? ''} failed:\n${output}`);
  }
}

/**
 * Starts a cluster with the binaries in `binDir`; resolves with its admin URL and a
 * `stop()` that shuts it down and deletes its folder (safe to call more than once).
 * @param {string} binDir
 */
export async function startThrowawayPostgres(binDir) {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-pgtest-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dataDir]);
  const pgCtl = join(binDir, 'pg_ctl');
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      asClusterOwner(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30']);
    } catch {
      // Never started, or already gone: removing the folder is all that is left.
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    asClusterOwner(join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    // The port was free when asked for, but another process (a second test run's servers
    // on port 0) may take it before PostgreSQL binds it: then another port.
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      try {
        startCluster(pgCtl, dataDir, port);
        return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * Starts the initialised cluster in `dataDir` on `port`; throws when it does not start.
 * @param {string} pgCtl
 * @param {string} dataDir
 * @param {number} port
 */
function startCluster(pgCtl, dataDir, port) {
  // Sockets in the data folder: /var/run/postgresql may not exist or be writable.
  const options = [
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dataDir}`,
    '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
    // Parallel test files each hold a pool of connections to their own database.
    '-c max_connections=300',
  ].join(' ');
  asClusterOwner(pgCtl, [
    'start',
    '-D',
    dataDir,
    '-l',
    join(dataDir, 'server.log'),
    '-w',
    '-t',
    '30',
    '-o',
    options,
  ]);
}
