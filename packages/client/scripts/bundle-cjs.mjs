// The CommonJS entry points, for programs that require() the client (a CommonJS project,
// or TypeScript's moduleResolution node10): dist/{index,react}.cjs bundle tsc's ESM output
// into one file each and leave every package a require() of its own CommonJS build (tRPC
// and eventsource ship one). dist/{index,react}.d.cts are the bundled declarations again:
// TypeScript reads a .d.cts as CommonJS, so `require('@trellis/client')` type-checks under
// node16 and nodenext, and its tRPC imports resolve to tRPC's CommonJS types.
// A program that both imports and requires the client loads it twice (as with tRPC
// itself): an error from one copy is no `instanceof` the other's TrellisError.
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';

const entries = ['index', 'react'];

await build({
  entryPoints: entries.map((entry) => `dist/${entry}.js`),
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  packages: 'external',
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const entry of entries) copyFileSync(`dist/${entry}.d.ts`, `dist/${entry}.d.cts`);
