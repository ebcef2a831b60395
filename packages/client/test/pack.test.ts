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
// The consumer's own packages for the React bindings, at the versions this package was
// built against (the packed manifest's devDependencies: the catalog's versions, written out).
const consumerPackages = [
  '@tanstack/react-query',
  '@trpc/tanstack-react-query',
  '@types/react',
  'react',
];

// What the router's context would drag into the types (table columns, the database, the
// server's config and caches): none may reach a consumer.
const serverNames = ['password_hash', 'secret_hash', 'Kysely', 'ApiConfig', 'StatsCache'];

let consumer: string;
let tarball: string;
let packedManifest: {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

beforeAll(async () => {
  consumer = mkdtempSync(join(tmpdir(), 'trellis-consumer-'));
  await run('pnpm', ['pack', '--pack-destination', consumer], { cwd: packageDir });
  const packed = readdirSync(consumer).find((file) => file.endsWith('.tgz'));
  if (!packed) throw new Error('pnpm pack produced no tarball');
  tarball = join(consumer, packed);
  cpSync(fixtureDir, consumer, { recursive: true });
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  packedManifest = JSON.parse(stdout);
  const built: Record<string, string> = packedManifest.devDependencies ?? {};
  const manifest = {
    name: 'trellis-consumer',
    private: true,
    type: 'module',
    dependencies: {
      '@trellis/client': `file:${tarball}`,
      ...Object.fromEntries(consumerPackages.map((name) => [name, built[name]])),
    },
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

  it('has real versions in its manifest, not workspace or catalog references', () => {
    const ranges = Object.values({
      ...packedManifest.dependencies,
      ...packedManifest.devDependencies,
      ...packedManifest.peerDependencies,
    });
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges.filter((range) => /^(workspace|catalog):/.test(range))).toEqual([]);
    expect(Object.keys(packedManifest.dependencies ?? {})).not.toContain('kysely');
  });

  it('carries the procedures and nothing of the server: no tables, config, caches or kysely', () => {
    const dist = join(consumer, 'node_modules/@trellis/client/dist');
    const types = readdirSync(dist).filter((file) => file.endsWith('.d.ts'));
    expect(types).toEqual(['index.d.ts', 'react.d.ts']);
    for (const file of types) {
      const text = readFileSync(join(dist, file), 'utf8');
      for (const name of serverNames) expect.soft(text, `${file}: ${name}`).not.toContain(name);
      expect.soft(text, file).not.toMatch(/from '(kysely|zod)'/);
    }
    expect(readFileSync(join(dist, 'index.d.ts'), 'utf8')).toContain('onChange');
    const installed = readdirSync(join(consumer, 'node_modules/.pnpm'));
    expect(installed.filter((entry) => /^(kysely|zod)@/.test(entry))).toEqual([]);
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
    expect(files.filter((file) => /node_modules\/(kysely|zod)\//.test(file))).toEqual([]);
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
