import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A program outside the workspace installs the packed tarball like any npm package and
// type-checks calls against it: the router types must travel inside the tarball (no
// server code, no path mapping), and stay real (wrong calls fail to compile).
// Needs `pnpm build` first; turbo runs it before this package's tests.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixtureDir = fileURLToPath(new URL('./consumer-fixture/', import.meta.url));
const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));
// TypeScript 7 from the workspace: only the compiler comes from here, not a single type.
const tsc = join(workspaceRoot, 'node_modules/.bin/tsc');
const consumerDeps = {
  '@tanstack/react-query': '5.108.4',
  '@trpc/tanstack-react-query': '11.22.1',
  '@types/react': '19.3.0',
  react: '19.3.1',
};

let consumer: string;
let tarball: string;

beforeAll(async () => {
  consumer = mkdtempSync(join(tmpdir(), 'trellis-consumer-'));
  await run('pnpm', ['pack', '--pack-destination', consumer], { cwd: packageDir });
  const packed = readdirSync(consumer).find((file) => file.endsWith('.tgz'));
  if (!packed) throw new Error('pnpm pack produced no tarball');
  tarball = join(consumer, packed);
  cpSync(fixtureDir, consumer, { recursive: true });
  const manifest = {
    name: 'trellis-consumer',
    private: true,
    type: 'module',
    dependencies: { '@trellis/client': `file:${tarball}`, ...consumerDeps },
  };
  writeFileSync(join(consumer, 'package.json'), JSON.stringify(manifest, null, 2));
  // The packages are usually in the pnpm store already; the registry is asked otherwise.
  await run('pnpm', ['install', '--prefer-offline', '--ignore-scripts'], {
    cwd: consumer,
    timeout: 120_000,
  });
}, 180_000);

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

/** `file(line,col): error TSxxxx` lines of a tsc run, by `file:line`. */
function errorLines(output: string): string[] {
  return [...output.matchAll(/^([^\s(]+)\((\d+),\d+\): error TS\d+/gm)].map(
    ([, file, line]) => `${file}:${line}`,
  );
}

/** The fixture lines that say `expect-error`, by `file:line`. */
function expectedErrorLines(): string[] {
  return readdirSync(fixtureDir)
    .filter((file) => /\.tsx?$/.test(file))
    .flatMap((file) =>
      readFileSync(join(fixtureDir, file), 'utf8')
        .split('\n')
        .flatMap((text, index) =>
          text.includes('// expect-error') ? [`${file}:${index + 1}`] : [],
        ),
    );
}

describe('the packed @trellis/client', () => {
  it('ships built JavaScript and bundled types, and no workspace import', () => {
    const manifest = JSON.parse(
      readFileSync(join(consumer, 'node_modules/@trellis/client/package.json'), 'utf8'),
    );
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './react': { types: './dist/react.d.ts', default: './dist/react.js' },
    });
    const dist = join(consumer, 'node_modules/@trellis/client/dist');
    for (const file of readdirSync(dist)) {
      const text = readFileSync(join(dist, file), 'utf8');
      expect.soft(text, file).not.toMatch(/from '@trellis\/(?!client')/);
      expect.soft(text, file).not.toMatch(/import\("@trellis\//);
    }
  });

  it('type-checks calls with the router types, and refuses each wrong call', async () => {
    const result = await run(tsc, ['-p', join(consumer, 'tsconfig.json'), '--listFiles'], {
      cwd: consumer,
    }).then(
      ({ stdout }) => stdout,
      (error: { stdout: string }) => error.stdout,
    );
    expect(errorLines(result).sort()).toEqual(expectedErrorLines().sort());
    const files = result.split('\n').filter((line) => line.startsWith('/'));
    // Every type came from the consumer's own node_modules, none from the workspace.
    const foreign = files.filter(
      (file) => !file.startsWith(consumer) && !/\/lib\.[\w.]+\.d\.ts$/.test(file),
    );
    expect(foreign).toEqual([]);
    expect(files.some((file) => file.endsWith('/@trellis/client/dist/index.d.ts'))).toBe(true);
    // The router's context names Kysely: it resolves through the client's own dependency.
    expect(files.some((file) => /node_modules\/kysely\//.test(file))).toBe(true);
  });

  it('runs in Node without the server packages', async () => {
    const script = [
      "const client = await import('@trellis/client');",
      "const react = await import('@trellis/client/react');",
      'console.log(typeof client.createClient, typeof react.createTrellisReact, client.MAX_BATCH_ITEMS);',
    ].join('\n');
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: consumer });
    expect(stdout.trim()).toBe('function function 50');
  });
});
