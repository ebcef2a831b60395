import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { paths } from './paths.js';
import type { RunResults } from './results.js';

// docs/performance.md is prose written by people plus one generated section per mode,
// between markers; a run replaces only its own section.

const TEMPLATE = `# Performance

Generated sections below are rewritten by \`pnpm bench\`; everything else is written by hand.

## Latest run

<!-- bench:default -->
<!-- /bench:default -->

## Database size (\`pnpm bench --scale\`)

<!-- bench:scale -->
<!-- /bench:scale -->

## Worker processes (\`pnpm bench --workers 2\`)

<!-- bench:workers -->
<!-- /bench:workers -->
`;

/** Replaces the run's mode section of docs/performance.md with `markdown`. */
export function updateDoc(results: RunResults, markdown: string): void {
  const text = existsSync(paths.doc) ? readFileSync(paths.doc, 'utf8') : TEMPLATE;
  const open = `<!-- bench:${results.mode} -->`;
  const close = `<!-- /bench:${results.mode} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start === -1 || end < start) {
    throw new Error(`${paths.doc} has no ${open} … ${close} section to fill`);
  }
  const before = text.slice(0, start + open.length);
  mkdirSync(dirname(paths.doc), { recursive: true });
  writeFileSync(paths.doc, `${before}\n${markdown}\n${text.slice(end)}`);
}
