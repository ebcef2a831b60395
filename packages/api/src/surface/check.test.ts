import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTRPC } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ApiCheckOptions, runApiCheck } from './check.js';

const t = initTRPC.create();
const create = (title: z.ZodString) => t.procedure.input(z.object({ title })).mutation(() => 'ok');
const original = t.router({ tasks: t.router({ create: create(z.string().max(200)) }) });
const additive = t.router({
  tasks: t.router({ create: create(z.string().max(200)), get: t.procedure.query(() => 'ok') }),
});
const breaking = t.router({ tasks: t.router({ create: create(z.string().max(100)) }) });

let dir: string;
let paths: Pick<ApiCheckOptions, 'snapshotPath' | 'changelogPath'>;
const check = (router: ApiCheckOptions['router'], flags: Partial<ApiCheckOptions> = {}) =>
  runApiCheck({ router, ...paths, update: false, breaking: false, ...flags });
const snapshot = () => readFileSync(paths.snapshotPath, 'utf8');
const writeChangelog = (text: string) => writeFileSync(paths.changelogPath, text);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trellis-api-check-'));
  paths = { snapshotPath: join(dir, 'api-surface.json'), changelogPath: join(dir, 'CHANGELOG.md') };
  expect(check(original, { update: true }).ok).toBe(true);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('runApiCheck', () => {
  it('passes when the router matches the snapshot', () => {
    expect(check(original)).toEqual({
      ok: true,
      report: [`API surface matches ${paths.snapshotPath} (1 procedure).`],
    });
  });

  it('reads the snapshot as data: reformatting the file is no change', () => {
    writeFileSync(paths.snapshotPath, JSON.stringify(JSON.parse(snapshot())));
    expect(check(original).report).toEqual([
      `API surface matches ${paths.snapshotPath} (1 procedure).`,
    ]);
  });

  it('fails without a snapshot, saying how to create one', () => {
    rmSync(paths.snapshotPath);
    const result = check(original);
    expect(result.ok).toBe(false);
    expect(result.report.join('\n')).toContain('Create it with: pnpm api:check --update');
  });

  it('passes additive changes, and records them with --update', () => {
    const before = snapshot();
    const result = check(additive);
    expect(result).toEqual({
      ok: true,
      report: [
        'Additive changes (1):',
        '  tasks.get: new query (additive: added)',
        'No breaking changes. Record them with: pnpm api:check --update',
      ],
    });
    expect(snapshot()).toBe(before);
    expect(check(additive, { update: true }).ok).toBe(true);
    expect(check(additive).report).toEqual([
      `API surface matches ${paths.snapshotPath} (2 procedures).`,
    ]);
  });

  it('fails on a breaking change, leaving the snapshot as it was', () => {
    const before = snapshot();
    const result = check(breaking);
    expect(result.ok).toBe(false);
    expect(result.report.slice(0, 3)).toEqual([
      'Breaking changes (1):',
      '  tasks.create input.title: maxLength 200 → 100 (breaking: narrowed)',
      'API check failed: 1 procedure(s) would break deployed clients.',
    ]);
    expect(snapshot()).toBe(before);
  });

  it('refuses to record a breaking change without --breaking', () => {
    const before = snapshot();
    writeChangelog('## Unreleased\n\n- `tasks.create`: titles up to 100 characters.\n');
    const result = check(breaking, { update: true });
    expect(result.ok).toBe(false);
    expect(result.report).toContain('Refusing to record breaking changes without --breaking.');
    expect(snapshot()).toBe(before);
  });

  it('refuses --breaking until the Unreleased section of CHANGELOG.md names the procedure', () => {
    const before = snapshot();
    const flags = { update: true, breaking: true };
    expect(check(breaking, flags).report).toContain(
      `${paths.changelogPath} has no '## Unreleased' section to describe the breaking changes in.`,
    );
    writeChangelog('## Unreleased\n\n- tasks.get added.\n\n## 0.1.0\n\n- tasks.create\n');
    expect(check(breaking, flags).report).toContain(
      `${paths.changelogPath} does not mention tasks.create under '## Unreleased'.`,
    );
    expect(snapshot()).toBe(before);
  });

  it('records a breaking change with --update --breaking and a CHANGELOG line', () => {
    writeChangelog('# Changelog\n\n## Unreleased\n\n- Breaking: `tasks.create` titles ≤ 100.\n');
    const result = check(breaking, { update: true, breaking: true });
    expect(result.ok).toBe(true);
    expect(result.report.at(-1)).toBe(`Recorded 1 change(s) in ${paths.snapshotPath}.`);
    expect(check(breaking).ok).toBe(true);
  });
});
