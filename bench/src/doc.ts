import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { paths } from './paths.js';

// docs/performance.md is prose written by people plus generated sections between markers:
// one per mode, and one for the webhook row; a run replaces only the sections it measured.

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

## Webhooks (\`pnpm bench --only webhooks\`)

<!-- bench:webhooks -->
<!-- /bench:webhooks -->
`;

/** Replaces each named section of docs/performance.md (`bench:<name>`) with its markdown. */
export function updateDoc(sections: Record<string, string>): void {
  let text = existsSync(paths.doc) ? readFileSync(paths.doc, 'utf8') : TEMPLATE;
  for (const [name, markdown] of Object.entries(sections)) {
    const open = `<!-- bench:${name} -->`;
    const close = `<!-- /bench:${name} -->`;
    const start = text.indexOf(open);
    const end = text.indexOf(close);
    if (start === -1 || end < start) {
      throw new Error(`${paths.doc} has no ${open} … ${close} section to fill`);
    }
    text = `${text.slice(0, start + open.length)}\n${markdown}\n${text.slice(end)}`;
  }
  mkdirSync(dirname(paths.doc), { recursive: true });
  writeFileSync(paths.doc, text);
}
