import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/support/server.js';

// The README's TypeScript example is examples/quickstart.ts, verbatim; this test keeps
// the two identical and runs the example as a real program against a real server.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examplePath = `${root}examples/quickstart.ts`;
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('README example', () => {
  it('shows examples/quickstart.ts verbatim', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const block = /<!-- quickstart -->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(examplePath, 'utf8'));
  });

  it('runs against a real server and prints who owns what', async () => {
    const { stdout } = await promisify(execFile)(
      tsx,
      ['--conditions=@trellis/source', examplePath],
      { cwd: `${root}examples`, env: { ...process.env, TRELLIS_URL: server.url } },
    );
    expect(stdout.trim()).toMatch(/^Ada is owner of acme-\d+$/);
  });
});
