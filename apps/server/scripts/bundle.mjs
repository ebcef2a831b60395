// Bundles each of the server's entry points (src/main.ts, the `trellis` CLI, the seed, backup
// and migrate scripts) with everything it imports from the workspace and node_modules into
// one file, dist/<name>.js, replacing tsc's output for those scripts. Node resolves, reads and
// links each ESM module separately, and Kysely, Fastify, zod and the auth libraries are
// hundreds of files: loading them one by one took ~550 ms of a ~650 ms cold start; one file
// loads in ~150 ms (docs/performance.md). The tests start these scripts as processes, many
// times, from these bundles (src/test/main-process.ts). Native addons cannot be bundled and
// stay imports, which is why they are also dependencies of this package.
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const serverDir = fileURLToPath(new URL('..', import.meta.url));

/** The scripts an operator (or `trellis <command>`) runs, each bundled on its own. */
export const ENTRY_POINTS = ['main', 'cli', 'seed', 'backup', 'migrate'];

/** Every file the last bundle was built from, relative to apps/server (for freshness). */
const INPUTS_FILE = join(serverDir, 'dist', 'bundle-inputs.json');

/**
 * Writes `contents` to `path` through a rename: a process starting from the file meanwhile
 * (the tests start them while turbo may be building) reads the old one or the new one.
 */
function replaceFile(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  // The CLI is package.json's `bin`: its shebang line needs the execute bit.
  if (contents[0] === 0x23 && contents[1] === 0x21) chmodSync(temporary, 0o755); // #!
  renameSync(temporary, path);
}

/** Writes dist/<entry>.js for every entry point, and the list of files they were built from. */
export async function bundle() {
  const result = await build({
    absWorkingDir: serverDir,
    entryPoints: ENTRY_POINTS.map((name) => `src/${name}.ts`),
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Workspace packages from their TypeScript sources, as in development.
    conditions: ['@trellis/source'],
    // pg-native is pg's optional libpq binding, required only if asked for (we never do).
    // sharp loads its libvips binary at run time (attachment previews).
    external: ['better-sqlite3', '@node-rs/argon2', 'pg-native', 'sharp'],
    // CommonJS dependencies (Fastify, pino) call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);",
    },
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    write: false,
  });
  for (const file of result.outputFiles) replaceFile(file.path, file.contents);
  const inputs = Object.keys(result.metafile.inputs);
  replaceFile(INPUTS_FILE, Buffer.from(`${JSON.stringify(inputs)}\n`));
}

/**
 * Whether dist holds bundles built from the sources as they are now: every bundle exists
 * and none of the files it was built from changed since.
 */
export function bundleIsFresh() {
  let builtAt = Number.POSITIVE_INFINITY;
  let inputs;
  try {
    for (const name of ENTRY_POINTS) {
      builtAt = Math.min(builtAt, statSync(join(serverDir, 'dist', `${name}.js`)).mtimeMs);
    }
    inputs = JSON.parse(readFileSync(INPUTS_FILE, 'utf8'));
  } catch {
    return false;
  }
  // A new file only gets imported through an edit of one already listed.
  return inputs.every((input) => {
    try {
      return statSync(join(serverDir, input)).mtimeMs <= builtAt;
    } catch {
      return false; // deleted or moved: its importers changed too
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
