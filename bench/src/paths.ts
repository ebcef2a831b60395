import { fileURLToPath } from 'node:url';

// Resolved from this file, which sits in bench/src or bench/dist: both are two levels down.
const root = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));

/** Where the benchmark finds the programs it runs and keeps what it writes. */
export const paths = {
  root: root(''),
  serverMain: root('apps/server/dist/main.js'),
  seed: root('apps/server/dist/seed.js'),
  baseline: root('bench/dist/baseline.js'),
  /** Seeded databases by task count, reused across runs (gitignored). */
  cache: root('bench/.cache'),
  results: root('bench/results'),
  doc: root('docs/performance.md'),
};
