import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { AnyTRPCRouter } from '@trpc/server';
import { unmentioned, unreleasedSection } from './changelog.js';
import { compareSurfaces, type SurfaceChange } from './compare.js';
import { extractSurface } from './extract.js';
import { formatGroup } from './format.js';
import { parseSurface, serializeSurface } from './surface.js';

/** What `pnpm api:check` compares, where it records, and what it is allowed to record. */
export interface ApiCheckOptions {
  router: AnyTRPCRouter;
  snapshotPath: string;
  changelogPath: string;
  /** Rewrite the snapshot from the router (`--update`). */
  update: boolean;
  /** Allow `update` to record breaking changes (`--breaking`); CHANGELOG.md must name them. */
  breaking: boolean;
}

/** The check's verdict and what to tell the person running it. */
export interface ApiCheckResult {
  ok: boolean;
  report: string[];
}

const UPDATE = 'pnpm api:check --update';

/**
 * Compares the router's surface with the snapshot. Passes when nothing breaks deployed
 * clients; breaking changes pass only when recorded with `--update --breaking` and a line
 * under `## Unreleased` in CHANGELOG.md naming each broken procedure.
 */
export function runApiCheck(options: ApiCheckOptions): ApiCheckResult {
  const { snapshotPath, update } = options;
  const current = extractSurface(options.router);
  const where = display(snapshotPath);
  const total = Object.keys(current.procedures).length;
  const count = `${total} procedure${total === 1 ? '' : 's'}`;
  if (!existsSync(snapshotPath)) {
    if (!update) {
      return {
        ok: false,
        report: [`No API surface snapshot at ${where}. Create it with: ${UPDATE}`],
      };
    }
    writeFileSync(snapshotPath, serializeSurface(current));
    return { ok: true, report: [`Created ${where} (${count}).`] };
  }

  const snapshot = parseSurface(readFileSync(snapshotPath, 'utf8'));
  const changes = compareSurfaces(snapshot, current);
  const report = [...formatGroup(changes, 'breaking'), ...formatGroup(changes, 'additive')];
  const refusal = refusalOf(changes, options);
  if (refusal.length > 0) return { ok: false, report: [...report, ...refusal] };
  // Compared as data, so that reformatting the file (`pnpm format`) is no difference.
  if (serializeSurface(snapshot) === serializeSurface(current)) {
    return { ok: true, report: [`API surface matches ${where} (${count}).`] };
  }
  if (update) {
    writeFileSync(snapshotPath, serializeSurface(current));
    const done = changes.length > 0 ? `Recorded ${changes.length} change(s) in` : 'Refreshed';
    return { ok: true, report: [...report, `${done} ${where}.`] };
  }
  const why = changes.length > 0 ? 'No breaking changes.' : 'Only descriptions or defaults differ.';
  return { ok: true, report: [...report, `${why} Record them with: ${UPDATE}`] };
}

/** Why `changes` may not pass, or not be recorded; empty when they may. */
function refusalOf(changes: SurfaceChange[], options: ApiCheckOptions): string[] {
  const { update, breaking, changelogPath } = options;
  const broken = [
    ...new Set(changes.filter((c) => c.severity === 'breaking').map((c) => c.procedure)),
  ];
  if (broken.length === 0) return [];
  const changelog = display(changelogPath);
  const howTo = [
    `If this is intended, add a line naming each of ${broken.join(', ')} under '## Unreleased' in ${changelog},`,
    `then run: ${UPDATE} --breaking`,
  ];
  if (!update) {
    return [
      `API check failed: ${broken.length} procedure(s) would break deployed clients.`,
      ...howTo,
    ];
  }
  if (!breaking) return ['Refusing to record breaking changes without --breaking.', ...howTo];
  const text = existsSync(changelogPath) ? readFileSync(changelogPath, 'utf8') : '';
  const section = unreleasedSection(text);
  if (section === undefined) {
    return [
      `${changelog} has no '## Unreleased' section to describe the breaking changes in.`,
      ...howTo,
    ];
  }
  const missing = unmentioned(section, broken);
  if (missing.length > 0) {
    return [`${changelog} does not mention ${missing.join(', ')} under '## Unreleased'.`, ...howTo];
  }
  return [];
}

function display(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown.startsWith('..') || shown === '' ? path : shown;
}
