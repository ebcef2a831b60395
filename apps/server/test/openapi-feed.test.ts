// The live feed in /api/openapi.json: tasks.onChange as an event stream on the tRPC
// transport, its input and the events it sends. Real streams from a real server are held
// against what the document says (and serveThisFile checks their statuses are listed).
import { appRouter, procedureSchemas } from '@trellis/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveFeeds, taskChangeEvent } from '../src/rest/live-feed.js';
import { accountsOn, type Team } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { nextChange, taskStreamsOn } from './support/sse.js';
import { errorIn, isRecord } from './support/wire.js';
import { workOn } from './support/work.js';

// One stream per user at most, so that the second one is refused (429).
const wire = serveThisFile({ maxStreamsPerUser: 1 });
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);
const { subscribeTaskChanges } = taskStreamsOn(wire);

type Json = Record<string, unknown>;

let document: {
  paths: Record<string, Json & { servers?: { url: string }[] }>;
  components: { schemas: Record<string, Json> };
};
let team: Team;

beforeAll(async () => {
  document = (await wire.send('/api/openapi.json')).json as typeof document;
  team = await makeTeam();
});

/** `value` at a `/`-separated path of keys. */
function at(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('/')) node = isRecord(node) ? node[key] : undefined;
  return node;
}

describe('tasks.onChange in the OpenAPI document', () => {
  it('is GET /trpc/tasks.onChange with its JSON input and Last-Event-ID', () => {
    const item = document.paths['/tasks.onChange'];
    expect(item?.servers).toEqual([{ url: '/trpc' }]);
    const parameters = at(item, 'get/parameters') as Json[];
    expect(parameters.map((p) => `${p.in} ${p.name}`)).toEqual([
      'query input',
      'header Last-Event-ID',
    ]);
    expect(at(parameters[0], 'content')).toMatchObject({ 'application/json': { schema: {} } });
    const input = at(parameters[0], 'content') as Record<string, { schema: Json }>;
    expect(input['application/json']?.schema).toMatchObject({
      properties: { workspaceId: { type: 'string' }, lastEventId: { type: 'string' } },
      required: ['workspaceId'],
    });
    const page = at(item, 'get/description');
    expect(page).toMatch(/Accept: text\/event-stream/);
    expect(page).toMatch(/Last-Event-ID/);
  });

  it('answers text/event-stream whose change events carry TaskChangeData, the procedure’s event schema', () => {
    const responses = at(document.paths['/tasks.onChange'], 'get/responses') as Json;
    expect(Object.keys(responses).sort()).toEqual(['200', '429', 'default']);
    const stream = (responses['200'] as { content: Record<string, { schema: Json }> }).content;
    expect(Object.keys(stream)).toEqual(['text/event-stream']);
    const events = stream['text/event-stream']?.schema.oneOf as Json[];
    expect(events.map((e) => e.title)).toEqual([
      'change',
      'connected',
      'ping',
      'return',
      'serialized-error',
    ]);
    expect(at(events[0], 'properties/data/contentSchema')).toEqual({
      $ref: '#/components/schemas/TaskChangeData',
    });
    // The procedure's declared output when it has one; the built one until then.
    const [feed] = resolveFeeds(appRouter);
    expect(feed?.event).toBe(
      procedureSchemas(appRouter).get('tasks.onChange')?.output ?? taskChangeEvent,
    );
    expect(document.components.schemas.TaskChangeData).toMatchObject({
      properties: { id: { type: 'string' }, task: { $ref: '#/components/schemas/Task' } },
      required: ['id', 'type', 'task'],
    });
  });
});

describe('a real stream, held against the document', () => {
  it('sends change events that parse with the documented schema and have its keys exactly', async () => {
    const project = await createProject(team.admin.token, team.workspaceId, 'FEED');
    const stream = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.member.token },
    );
    const task = await createTask(team.member.token, project.id);
    const change = await nextChange(stream, 'the created event');
    await stream.close();

    const [feed] = resolveFeeds(appRouter);
    const parsed = feed?.event.safeParse(change);
    expect(parsed?.error).toBeUndefined();
    expect(parsed?.data).toEqual(change);
    expect(change.task.id).toBe(task.id);
    const documented = document.components.schemas.TaskChangeData as { properties: object };
    expect(Object.keys(change).sort()).toEqual(Object.keys(documented.properties).sort());
  });

  it('refuses a stream over the per-user cap with 429, Retry-After and the tRPC error shape', async () => {
    const first = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    // A refusal is a JSON body that ends; a stream would not (the signal bounds a bug).
    const second = await wire.send(
      `/trpc/tasks.onChange?input=${encodeURIComponent(JSON.stringify({ workspaceId: team.workspaceId }))}`,
      {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${team.colleague.token}` },
        signal: AbortSignal.timeout(10_000),
      },
    );
    await first.close();
    expect(second.status).toBe(429);
    errorIn(second.json, 429, 'TOO_MANY_REQUESTS');
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
