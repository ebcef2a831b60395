import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// A project of a stranger's, outside the workspace: the packed tarball and everything else
// installed by plain npm from the registry (nothing from the workspace or the pnpm store),
// its TypeScript compilers included.

const run = promisify(execFile);
export const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const workspaceRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** The compilers a consumer project installs (as npm aliases) and is checked with. */
export const COMPILERS = {
  'TypeScript 5.9': 'ts59',
  'TypeScript 7': 'ts7',
} as const;
export type Compiler = keyof typeof COMPILERS;

/** What every consumer installs beside the tarball: the compilers and Node's types. */
export const TOOLING = [
  'ts59@npm:typescript@~5.9.2',
  'ts7@npm:typescript@^7.0.2',
  '@types/node@^20.19.0',
];

/** pnpm as the workspace pins it, wherever it is run from (turbo, or `npx vitest`). */
function pnpm(): [string, string[]] {
  const root = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
  return ['npx', ['-y', root.packageManager]];
}

/** Packs the built package the way `pnpm client:pack` does; the tarball's path. */
export async function packClient(destination: string): Promise<string> {
  const [command, args] = pnpm();
  await run(command, [...args, 'pack', '--pack-destination', destination], {
    cwd: packageDir,
    timeout: 120_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    // The prepack check says why on stdout (npm instead of pnpm, or no build).
    throw new Error(`pnpm pack failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
  });
  const packed = readdirSync(destination).find((file) => file.endsWith('.tgz'));
  if (!packed) throw new Error('pnpm pack produced no tarball');
  return join(destination, packed);
}

/** This process's environment without what pnpm and npm set for the scripts they run. */
function plainEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm|pnpm)_/i.test(name)),
  );
}

/**
 * Copies `fixture` into `dir` and runs `npm install <packages…>` there, as the README tells
 * a stranger to (npm resolves each package named on its command line to the newest its
 * range allows; installed from a package.json instead, it may settle for an older tRPC to
 * suit the optional peer @trpc/tanstack-react-query). Bounded by npm's own network retries.
 */
export async function installProject(
  dir: string,
  fixture: string,
  packages: string[],
): Promise<void> {
  cpSync(fixture, dir, { recursive: true });
  const manifest = { name: 'trellis-consumer', private: true, type: 'module' };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...packages], {
    cwd: dir,
    env: plainEnvironment(),
    timeout: 240_000,
  });
}

/** The version npm installed of `name` in `dir`. */
export function installedVersion(dir: string, name: string): string {
  const path = join(dir, 'node_modules', name, 'package.json');
  return JSON.parse(readFileSync(path, 'utf8')).version;
}

/** A tsc run: its `file:line` errors and the files it read (absolute paths). */
export interface Check {
  errors: string[];
  files: string[];
  output: string;
}

/** The error lines of a tsc run's output, for a failure message. */
export function errorText(output: string): string {
  return output
    .split('\n')
    .filter((line) => / error TS\d+/.test(line))
    .join('\n');
}

/** Type-checks `project` (a tsconfig file in `dir`) with `compiler`. */
export async function typeCheck(dir: string, compiler: Compiler, project: string): Promise<Check> {
  const tsc = join(dir, 'node_modules', COMPILERS[compiler], 'bin', 'tsc');
  const output = await run(process.execPath, [tsc, '-p', project, '--listFiles'], {
    cwd: dir,
    timeout: 120_000,
  }).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  );
  const errors = [...output.matchAll(/^([^\s(]+)\((\d+),\d+\): error TS\d+/gm)].map(
    ([, file, line]) => `${file}:${line}`,
  );
  const files = output.split('\n').filter((line) => line.startsWith('/'));
  return { errors, files, output };
}

/** Compiles `project` in `dir` with `compiler` and fails on any error. */
export async function compile(dir: string, compiler: Compiler, project: string): Promise<void> {
  const tsc = join(dir, 'node_modules', COMPILERS[compiler], 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', project], { cwd: dir, timeout: 120_000 }).catch(
    (error: { stdout?: string; message: string }) => {
      throw new Error(`${project} did not compile:\n${error.stdout || error.message}`);
    },
  );
}

/** The files a tsconfig in `dir` includes (its own `include`, or the one it extends). */
function includedFiles(dir: string, project: string): string[] {
  const text = readFileSync(join(dir, project), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const config: { extends?: string; include?: string[] } = JSON.parse(text);
  if (config.include) return config.include;
  if (config.extends) return includedFiles(dir, config.extends);
  throw new Error(`${project} includes no files`);
}

/** The lines of `project`'s files that say `expect-error`, by `file:line`. */
export function expectedErrors(dir: string, project: string): string[] {
  return includedFiles(dir, project).flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .flatMap((text, index) => (text.includes('// expect-error') ? [`${file}:${index + 1}`] : [])),
  );
}
