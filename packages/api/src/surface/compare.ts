import { diffSchemas, type Effect, type Side } from './schema-diff.js';
import type { ApiSurface, JsonSchema, ProcedureSurface } from './surface.js';

/** Whether deployed clients keep working after a change (`additive`) or may not. */
export type Severity = 'additive' | 'breaking';

/** One difference between two API surfaces. */
export interface SurfaceChange {
  severity: Severity;
  effect: Effect;
  /** The procedure path, e.g. `tasks.create`. */
  procedure: string;
  /** Where in it: '' for the procedure itself, else e.g. `input.title` or `output.items[]`. */
  location: string;
  detail: string;
}

/** Every difference from `before` (the snapshot) to `after` (the router), classified. */
export function compareSurfaces(before: ApiSurface, after: ApiSurface): SurfaceChange[] {
  const changes: SurfaceChange[] = [];
  const paths = new Set([...Object.keys(before.procedures), ...Object.keys(after.procedures)]);
  for (const procedure of [...paths].sort()) {
    const from = before.procedures[procedure];
    const to = after.procedures[procedure];
    const add = (location: string, detail: string, effect: Effect, side: Side = 'input') =>
      changes.push({ severity: severityOf(effect, side), effect, procedure, location, detail });
    if (from === undefined) add('', `new ${to?.type}`, 'added');
    else if (to === undefined) add('', `${from.type} removed`, 'removed');
    else {
      if (from.type !== to.type) add('', `${from.type} → ${to.type}`, 'changed');
      for (const side of ['input', 'output'] as const) {
        for (const found of compareSide(from, to, side)) {
          add(found.location, found.detail, found.effect, side);
        }
      }
    }
  }
  return changes;
}

function compareSide(from: ProcedureSurface, to: ProcedureSurface, side: Side) {
  const before: JsonSchema | undefined = from[side];
  const after: JsonSchema | undefined = to[side];
  if (before === undefined && after === undefined) return [];
  if (before !== undefined && after !== undefined) return diffSchemas(before, after, side);
  // A procedure without an input parser ignores what clients send and hands `undefined`
  // on: a new input is required (tRPC parses `undefined`), a dropped one ignores fields
  // clients still send. An output schema that appears only describes what was there.
  const appeared = after !== undefined;
  const effect: Effect =
    side === 'output' && appeared ? 'added' : appeared ? 'narrowed' : 'removed';
  const detail = `${side} schema ${appeared ? 'added' : 'removed'}`;
  return [{ location: side, detail, effect }];
}

/**
 * Inputs may widen (the server accepts more), outputs may narrow (clients receive fewer
 * kinds of values); the other way round breaks someone. A wider output includes an enum
 * value added to an output: clients that handle every case (exhaustive switches) break.
 */
function severityOf(effect: Effect, side: Side): Severity {
  switch (effect) {
    case 'added':
      return 'additive';
    case 'removed':
    case 'changed':
      return 'breaking';
    case 'widened':
      return side === 'input' ? 'additive' : 'breaking';
    case 'narrowed':
      return side === 'input' ? 'breaking' : 'additive';
  }
}
