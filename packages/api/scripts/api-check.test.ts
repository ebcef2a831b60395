import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LOG_EVENT_TYPES, taskOutput } from '../src/outputs.js';
import { appRouter } from '../src/root.js';
import { type ApiCheckOptions, runApiCheck } from '../src/surface/check.js';
import { extractSurface } from '../src/surface/extract.js';
import { parseSurface } from '../src/surface/surface.js';
import { EVENT_SCHEMAS, type EventSchema, eventSurfacePath, withEvents } from './event-surface.js';

// `pnpm api:check` guards the event payloads (webhooks, `events.list`) as it guards the
// procedures: the same comparison, on the surface of the router with its events added.

const EVERY_TYPE = [...LOG_EVENT_TYPES, 'webhook.ping'];
const snapshotFile = fileURLToPath(new URL('../api-surface.json', import.meta.url));

/** The events with `type`'s schema replaced. */
function changedEvent(type: string, change: (schema: EventSchema) => EventSchema) {
  return EVENT_SCHEMAS.map((schema) =>
    schema.shape.type.value === type ? change(schema) : schema,
  );
}

describe('the event payloads in the API surface', () => {
  it('has each log event type and webhook.ping as an output-only entry, beside every procedure', () => {
    const surface = extractSurface(withEvents(appRouter));
    const events = Object.keys(surface.procedures).filter((path) => path.startsWith('event:'));
    expect(events.sort()).toEqual(EVERY_TYPE.map(eventSurfacePath).sort());
    for (const type of EVERY_TYPE) {
      const entry = surface.procedures[eventSurfacePath(type)];
      expect(entry?.type).toBe('subscription');
      expect(entry?.input).toBeUndefined();
      expect(entry?.output?.properties).toMatchObject({ type: { const: type } });
    }
    const procedures = extractSurface(appRouter).procedures;
    for (const [path, entry] of Object.entries(procedures)) {
      expect(surface.procedures[path], path).toEqual(entry);
    }
  });

  it('is recorded in packages/api/api-surface.json', () => {
    const recorded = parseSurface(readFileSync(snapshotFile, 'utf8')).procedures;
    for (const type of EVERY_TYPE) {
      expect(recorded[eventSurfacePath(type)]?.output, type).toBeDefined();
    }
  });
});

describe('pnpm api:check on a changed payload', () => {
  let dir: string;
  let paths: Pick<ApiCheckOptions, 'snapshotPath' | 'changelogPath'>;
  const check = (events: readonly EventSchema[], flags: Partial<ApiCheckOptions> = {}) =>
    runApiCheck({
      router: withEvents(appRouter, events),
      ...paths,
      update: false,
      breaking: false,
      ...flags,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-event-surface-'));
    paths = { snapshotPath: join(dir, 'surface.json'), changelogPath: join(dir, 'CHANGELOG.md') };
    expect(check(EVENT_SCHEMAS, { update: true }).ok).toBe(true);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails when a field leaves an event, until the CHANGELOG names the event', () => {
    const withoutTitle = changedEvent('task.updated', (schema) =>
      schema.extend({ data: taskOutput.omit({ title: true }) }),
    );
    const result = check(withoutTitle);
    expect(result.ok).toBe(false);
    expect(result.report).toContain(
      '  event:task.updated output.data.title: field removed (breaking: removed)',
    );
    writeFileSync(paths.changelogPath, '## Unreleased\n\n- `event:task.updated` drops `title`.\n');
    expect(check(withoutTitle, { update: true, breaking: true }).ok).toBe(true);
    expect(check(withoutTitle).ok).toBe(true);
  });

  it('fails when a value an event carries widens; a new event type is additive', () => {
    const widened = changedEvent('webhook.ping', (schema) =>
      schema.extend({ data: z.object({ webhookId: z.string().nullable() }) }),
    );
    expect(check(widened).ok).toBe(false);
    const added = [
      ...EVENT_SCHEMAS,
      z.object({ type: z.literal('label.created'), data: z.object({ id: z.string() }) }),
    ];
    const result = check(added);
    expect(result.ok).toBe(true);
    expect(result.report).toContain('  event:label.created: new subscription (additive: added)');
  });
});
