import type { Severity, SurfaceChange } from './compare.js';

/** One line per change: `tasks.create input.title: maxLength 200 → 100 (breaking: narrowed)`. */
export function formatChange(change: SurfaceChange): string {
  const where = change.location ? ` ${change.location}` : '';
  return `${change.procedure}${where}: ${change.detail} (${change.severity}: ${change.effect})`;
}

/** The changes of one severity under a heading; nothing when there are none. */
export function formatGroup(changes: SurfaceChange[], severity: Severity): string[] {
  const group = changes.filter((change) => change.severity === severity);
  if (group.length === 0) return [];
  const heading = `${severity === 'breaking' ? 'Breaking' : 'Additive'} changes (${group.length}):`;
  return [heading, ...group.map((change) => `  ${formatChange(change)}`)];
}
