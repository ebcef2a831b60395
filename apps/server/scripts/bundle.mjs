// Bundles the production entry point (src/main.ts and everything it imports from the
// workspace and node_modules) into one file, dist/main.js. Node resolves, reads and links
// each ESM module separately, and Kysely, Fastify, zod and the auth libraries are hundreds
// of files: loading them one by one took ~550 ms of a ~650 ms cold start; one file loads
// in ~150 ms (docs/performance.md). Native addons cannot be bundled and stay imports,
// which is why they are also dependencies of this package.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Workspace packages from their TypeScript sources, as in development.
  conditions: ['@trellis/source'],
  // pg-native is pg's optional libpq binding, required only if asked for (we never do).
  external: ['better-sqlite3', '@node-rs/argon2', 'pg-native'],
  // CommonJS dependencies (Fastify, pino) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);",
  },
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
