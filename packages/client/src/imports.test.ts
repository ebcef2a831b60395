import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A consumer bundle must hold no server code: every import of another Trellis package
// in the client's sources is type-only, so it vanishes when compiled.

const sourceDir = new URL('.', import.meta.url).pathname;
const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('client imports', () => {
  it('has sources to check', () => {
    expect(sources).toContain('index.ts');
  });

  it.each(sources)('%s imports @trellis packages as types only', (file) => {
    const text = readFileSync(join(sourceDir, file), 'utf8');
    const statements = text.match(/^(?:import|export)[^;]*?from\s+'@trellis\/[^']+';/gms) ?? [];
    for (const statement of statements) {
      expect(statement).toMatch(/^(?:import|export) type /);
    }
  });
});
