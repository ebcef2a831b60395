import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Compiler,
  compile,
  errorText,
  expectedErrors,
  installedVersion,
  installProject,
  packClient,
  TOOLING,
  typeCheck,
} from './support/consumer-project.js';
import { startServer } from './support/server-process.js';

// Programs outside the workspace, as a stranger writes them from the README: the packed
// tarball installed by npm beside the newest tRPC 11 the registry serves, type-checked by
// TypeScript 5.9 and 7 in every module resolution the README names (each deliberate error
// caught, no other), then compiled and run by node against the server as `pnpm start` runs
// it. The router types must travel inside the tarball (no server code, no path mapping).
// Needs this package built first; turbo builds it before this package's tests.
// Not in the PostgreSQL pass of `pnpm test`: nothing here touches the dialect under test
// (the server it runs has a SQLite file of its own), so that pass would only repeat this.

const run = promisify(execFile);
const nodeFixture = fileURLToPath(new URL('./consumer-fixture/', import.meta.url));
const reactFixture = fileURLToPath(new URL('./consumer-react-fixture/', import.meta.url));

/** Each tsconfig of the Node consumer, and the compilers that must accept it. */
const RESOLUTIONS: [string, Compiler[]][] = [
  ['tsconfig.json', ['TypeScript 5.9', 'TypeScript 7']], // NodeNext, skipLibCheck false
  ['tsconfig.node16.json', ['TypeScript 5.9', 'TypeScript 7']],
  ['tsconfig.bundler.json', ['TypeScript 5.9', 'TypeScript 7']],
  ['tsconfig.node10.json', ['TypeScript 5.9']], // TypeScript 7 removed node10
];
const checks = RESOLUTIONS.flatMap(([project, compilers]) =>
  compilers.map((compiler) => ({ project, compiler })),
);

// What the router's context would drag into the types (table columns, the database, the
// server's config and caches): none may reach a consumer.
const serverNames = ['password_hash', 'secret_hash', 'Kysely', 'ApiConfig', 'StatsCache'];

interface Manifest {
  private?: boolean;
  main?: string;
  types?: string;
  typesVersions?: Record<string, Record<string, string[]>>;
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

let root: string;
let tarball: string;
let packed: Manifest;
/** The consumer of the client alone, on the newest tRPC 11. */
let nodeProject: string;
/** The consumer of the React bindings, on the tRPC @trpc/tanstack-react-query asks for. */
let reactProject: string;

const describeOnce = describe.skipIf(process.env.TRELLIS_TEST_DIALECT === 'postgres');

describeOnce('the packed @trellis/client', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'trellis-consumer-'));
    tarball = await packClient(root);
    packed = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout);
    nodeProject = join(root, 'node');
    reactProject = join(root, 'react');
    mkdirSync(nodeProject);
    mkdirSync(reactProject);
    await Promise.all([
      installProject(nodeProject, nodeFixture, [
        tarball,
        '@trpc/client@^11',
        '@trpc/server@^11',
        ...TOOLING,
      ]),
      // tRPC's packages ask for one another at one exact version: left unnamed, @trpc/client
      // and @trpc/server come at the version @trpc/tanstack-react-query was released with.
      installProject(reactProject, reactFixture, [
        tarball,
        '@trpc/tanstack-react-query@^11',
        '@tanstack/react-query@^5',
        'react@^19',
        '@types/react@^19',
        ...TOOLING,
      ]),
    ]);
  }, 360_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('has a manifest for strangers: ranges for tRPC, no source condition, nothing private', () => {
    expect(packed.private).toBeUndefined();
    expect(JSON.stringify(packed)).not.toContain('@trellis/source');
    expect(JSON.stringify(packed)).not.toMatch(/"(workspace|catalog):/);
    expect(packed.peerDependencies).toMatchObject({
      '@trpc/client': '^11.22.1',
      '@trpc/server': '^11.22.1',
      '@trpc/tanstack-react-query': '^11.22.1',
    });
    expect(Object.keys(packed.dependencies ?? {})).toEqual(['eventsource', 'standardwebhooks']);
    expect(packed.exports).toEqual({
      '.': {
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './react': {
        import: { types: './dist/react.d.ts', default: './dist/react.js' },
        require: { types: './dist/react.d.cts', default: './dist/react.cjs' },
      },
      './package.json': './package.json',
    });
    const dist = readdirSync(join(nodeProject, 'node_modules/@trellis/client/dist'));
    const named = [packed.main, packed.types, ...Object.values(packed.typesVersions?.['*'] ?? {})];
    for (const file of named.flat()) expect(dist).toContain(file?.replace('./dist/', ''));
  });

  it('installs beside the newest tRPC 11, as the one copy of tRPC', async () => {
    const { stdout } = await run('npm', ['view', '@trpc/server@^11', 'version', '--json']);
    const served: string | string[] = JSON.parse(stdout);
    const newest = [served].flat().at(-1);
    console.log(`consumer: @trpc/server ${installedVersion(nodeProject, '@trpc/server')}`);
    expect(installedVersion(nodeProject, '@trpc/server')).toBe(newest);
    expect(installedVersion(nodeProject, '@trpc/client')).toBe(newest);
    expect(existsSync(join(nodeProject, 'node_modules/@trellis/client/node_modules/@trpc'))).toBe(
      false,
    );
  });

  it('carries the procedures and nothing of the server: no tables, config, caches or kysely', () => {
    const dist = join(nodeProject, 'node_modules/@trellis/client/dist');
    const types = readdirSync(dist).filter((file) => /\.d\.c?ts$/.test(file));
    expect(types.sort()).toEqual(['index.d.cts', 'index.d.ts', 'react.d.cts', 'react.d.ts']);
    for (const file of readdirSync(dist)) {
      const text = readFileSync(join(dist, file), 'utf8');
      for (const name of serverNames) expect.soft(text, `${file}: ${name}`).not.toContain(name);
      expect.soft(text, file).not.toMatch(/from ['"](kysely|zod)['"]/);
      expect.soft(text, file).not.toMatch(/(from |require\(|import\()['"]@trellis\/(?!client)/);
    }
    expect(readFileSync(join(dist, 'index.d.ts'), 'utf8')).toContain('onChange');
    // tRPC's types come from the consumer's tRPC, not a copy inside the bundle.
    expect(readFileSync(join(dist, 'index.d.ts'), 'utf8')).toMatch(/from '@trpc\/server'/);
    const installed = readdirSync(join(nodeProject, 'node_modules'));
    expect(installed.filter((name) => name === 'kysely' || name === 'zod')).toEqual([]);
  });

  it.each(checks)(
    'type-checks under $project with $compiler, refusing each wrong call',
    async ({ project, compiler }) => {
      const { errors, files, output } = await typeCheck(nodeProject, compiler, project);
      expect(errors.sort(), errorText(output)).toEqual(expectedErrors(nodeProject, project).sort());
      // Every type came from the consumer's own node_modules, none from the workspace.
      const foreign = files.filter(
        (file) => !file.startsWith(nodeProject) && !/\/lib\.[\w.]+\.d\.ts$/.test(file),
      );
      expect(foreign).toEqual([]);
      expect(files.some((file) => /\/@trellis\/client\/dist\/index\.d\.c?ts$/.test(file))).toBe(
        true,
      );
      expect(files.filter((file) => /node_modules\/(kysely|zod)\//.test(file))).toEqual([]);
    },
  );

  it.each(['TypeScript 5.9', 'TypeScript 7'] as const)(
    'type-checks the React bindings with %s, refusing the wrong call',
    async (compiler) => {
      const { errors, output } = await typeCheck(reactProject, compiler, 'tsconfig.json');
      expect(errors.sort(), errorText(output)).toEqual(
        expectedErrors(reactProject, 'tsconfig.json').sort(),
      );
    },
  );

  it('loads both entries by import and by require, without the server packages', async () => {
    const script = [
      "const client = await import('@trellis/client');",
      "const react = await import('@trellis/client/react');",
      "const { createRequire } = await import('node:module');",
      "const require = createRequire(process.cwd() + '/');",
      "const cjs = require('@trellis/client');",
      "const cjsReact = require('@trellis/client/react');",
      'console.log(typeof client.createClient, typeof react.createTrellisReact, client.MAX_BATCH_ITEMS);',
      'console.log(typeof cjs.createClient, typeof cjsReact.createTrellisReact, cjs.MAX_BATCH_ITEMS);',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: reactProject,
      timeout: 30_000,
    });
    expect(stdout.trim().split('\n')).toEqual(['function function 50', 'function function 50']);
  });

  it('compiles a program that runs against the server as `pnpm start` runs it', async () => {
    await compile(nodeProject, 'TypeScript 7', 'tsconfig.emit.json');
    expect(readFileSync(join(nodeProject, 'out/main.cjs'), 'utf8')).toContain(
      'require("@trellis/client")',
    );
    const server = await startServer(root);
    try {
      const env = { ...process.env, TRELLIS_URL: server.url };
      const options = { cwd: nodeProject, env, timeout: 60_000 };
      const esm = await run(process.execPath, ['out/main.js'], options);
      expect(esm.stderr).toBe('');
      expect(esm.stdout.trim().split('\n')).toEqual([
        'created APP-1: Ship it (todo)',
        'listed APP-1',
        'official APP-1: Ship it',
        'refused BAD_REQUEST 400 title',
        expect.stringMatching(/^live created APP-\d+$/),
      ]);
      const cjs = await run(process.execPath, ['out/main.cjs'], options);
      expect(cjs.stdout.trim()).toBe('require: UNAUTHORIZED 401');
    } finally {
      await server.stop();
    }
  });
});
