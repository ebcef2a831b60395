import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// By path, as examples/test/server.ts does: @trellis/server exports no test helpers, and a
// devDependency on it would close a cycle (its tests use this package).
import {
  type MainProcess,
  startMainProcess,
} from '../../../../apps/server/src/test/main-process.js';

// The server as `pnpm start` runs it: `node apps/server/dist/main.js`, a process of its own
// on 127.0.0.1 and a free port, over a fresh SQLite file.

const ensureBundle = fileURLToPath(
  new URL('../../../../apps/server/scripts/ensure-bundle.mjs', import.meta.url),
);

/**
 * Starts dist/main.js, bundled first when missing or older than the server's sources (as
 * the server suite's globalSetup does; turbo builds this package, not the server, first).
 */
export async function startServer(dataDir: string): Promise<MainProcess & { url: string }> {
  const script = `const { default: ensure } = await import(${JSON.stringify(ensureBundle)}); await ensure();`;
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 120_000,
  });
  const server = startMainProcess({
    DATABASE_URL: `file:${join(dataDir, 'trellis.db')}`,
    NODE_ENV: 'development',
  });
  return { ...server, url: await server.listening };
}
