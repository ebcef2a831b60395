import { initTRPC, type TRPCRouterRecord } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compareSurfaces } from './compare.js';
import { extractSurface } from './extract.js';
import { formatChange } from './format.js';

// Each fixture is a pair of small routers, before and after one kind of change; the
// expected lines are what `pnpm api:check` prints for it.

const t = initTRPC.create();
const query = t.procedure.query(() => 'ok');
const mutation = t.procedure.mutation(() => 'ok');
const takes = (input: z.ZodType) => t.procedure.input(input).mutation(() => 'ok');
const returns = (output: z.ZodType) => t.procedure.output(output).query(() => undefined as never);

function changes(before: TRPCRouterRecord, after: TRPCRouterRecord): string[] {
  const surface = (record: TRPCRouterRecord) => extractSurface(t.router(record));
  return compareSurfaces(surface(before), surface(after)).map(formatChange);
}

describe('procedures', () => {
  it('sees no change between equal routers', () => {
    const record = { a: takes(z.object({ title: z.string() })), b: returns(z.string()) };
    expect(changes(record, { ...record })).toEqual([]);
  });

  it('a new procedure is additive', () => {
    expect(changes({}, { ping: query })).toEqual(['ping: new query (additive: added)']);
  });

  it('a removed procedure is breaking', () => {
    expect(changes({ ping: query }, {})).toEqual(['ping: query removed (breaking: removed)']);
  });

  it('a query that becomes a mutation is breaking', () => {
    expect(changes({ ping: query }, { ping: mutation })).toEqual([
      'ping: query → mutation (breaking: changed)',
    ]);
  });

  it('nested routers are compared by full path', () => {
    const before = { tasks: { get: query } };
    const after = { tasks: { get: query, archive: mutation } };
    expect(changes(before, after)).toEqual(['tasks.archive: new mutation (additive: added)']);
  });
});

describe('inputs', () => {
  const title = z.string().min(1).max(200);
  const before = { create: takes(z.object({ title })) };

  it('a new optional field is additive, also when it has a default', () => {
    const after = {
      create: takes(z.object({ title, color: z.string().optional(), size: z.number().default(1) })),
    };
    expect(changes(before, after)).toEqual([
      'create input.color: new optional field (additive: widened)',
      'create input.size: new optional field (additive: widened)',
    ]);
  });

  it('a new required field is breaking', () => {
    const after = { create: takes(z.object({ title, color: z.string() })) };
    expect(changes(before, after)).toEqual([
      'create input.color: new required field (breaking: narrowed)',
    ]);
  });

  it('a removed field is breaking', () => {
    expect(changes(before, { create: takes(z.object({})) })).toEqual([
      'create input.title: field removed (breaking: removed)',
    ]);
  });

  it('narrowed limits, patterns and types are breaking', () => {
    const after = { create: takes(z.object({ title: z.string().min(2).max(100).regex(/^\w+$/) })) };
    expect(changes(before, after)).toEqual([
      'create input.title: pattern "^\\\\w+$" added (breaking: narrowed)',
      'create input.title: minLength 1 → 2 (breaking: narrowed)',
      'create input.title: maxLength 200 → 100 (breaking: narrowed)',
    ]);
    expect(changes(before, { create: takes(z.object({ title: z.number() })) })).toEqual([
      'create input.title: type string → number (breaking: changed)',
    ]);
  });

  it('an optional field that becomes required is breaking; the reverse is additive', () => {
    const optional = { create: takes(z.object({ title: title.optional() })) };
    expect(changes(optional, before)).toEqual([
      'create input.title: now required (breaking: narrowed)',
    ]);
    expect(changes(before, optional)).toEqual([
      'create input.title: now optional (additive: widened)',
    ]);
  });

  it('a removed enum value is breaking; an added one is additive', () => {
    const status = (values: [string, ...string[]]) => ({
      list: takes(z.object({ status: z.enum(values) })),
    });
    expect(changes(status(['todo', 'done']), status(['todo']))).toEqual([
      'list input.status: enum value "done" removed (breaking: narrowed)',
    ]);
    expect(changes(status(['todo']), status(['todo', 'done']))).toEqual([
      'list input.status: enum value "done" added (additive: widened)',
    ]);
  });

  it('relaxed limits and a newly accepted null are additive', () => {
    const after = { create: takes(z.object({ title: z.string().max(500).nullable() })) };
    expect(changes(before, after)).toEqual([
      'create input.title: minLength 1 removed (additive: widened)',
      'create input.title: maxLength 200 → 500 (additive: widened)',
      'create input.title: alternative null added (additive: widened)',
    ]);
  });

  it('compares array items and nested objects by path', () => {
    const labels = (max: number) => ({
      create: takes(z.object({ meta: z.object({ labels: z.array(z.string().max(max)) }) })),
    });
    expect(changes(labels(40), labels(20))).toEqual([
      'create input.meta.labels[]: maxLength 40 → 20 (breaking: narrowed)',
    ]);
  });

  it('follows recursive schemas once through their references', () => {
    const tree = (max: number) => {
      const node: z.ZodType<{ name: string; children: unknown[] }> = z.lazy(() =>
        z.object({ name: z.string().max(max), children: z.array(node) }),
      );
      return { save: takes(z.object({ root: node })) };
    };
    expect(changes(tree(50), tree(50))).toEqual([]);
    expect(changes(tree(50), tree(30))).toEqual([
      'save input.root.name: maxLength 50 → 30 (breaking: narrowed)',
    ]);
  });

  it('refusing unknown fields is breaking', () => {
    const strict = { create: takes(z.strictObject({ title })) };
    expect(changes(before, strict)).toEqual([
      'create input: unknown fields now refused (breaking: narrowed)',
    ]);
  });

  it('a procedure that starts taking input is breaking', () => {
    expect(changes({ create: mutation }, before)).toEqual([
      'create input: input schema added (breaking: narrowed)',
    ]);
  });

  it('reads transformed and piped fields as clients send them', () => {
    const cursor = (max: number) => ({
      list: takes(
        z.object({
          cursor: z
            .string()
            .max(max)
            .transform((text) => text.length)
            .pipe(z.number()),
        }),
      ),
    });
    expect(changes(cursor(512), cursor(256))).toEqual([
      'list input.cursor: maxLength 512 → 256 (breaking: narrowed)',
    ]);
  });
});

describe('outputs', () => {
  const task = z.object({ id: z.string(), status: z.enum(['todo', 'done']) });
  const before = { get: returns(task) };

  it('a new field is additive', () => {
    const after = { get: returns(task.extend({ color: z.string() })) };
    expect(changes(before, after)).toEqual([
      'get output.color: new required field (additive: added)',
    ]);
  });

  it('a removed field is breaking', () => {
    const after = { get: returns(task.omit({ status: true })) };
    expect(changes(before, after)).toEqual([
      'get output.status: field removed (breaking: removed)',
    ]);
  });

  it('a changed type is breaking', () => {
    const after = { get: returns(task.extend({ id: z.number() })) };
    expect(changes(before, after)).toEqual([
      'get output.id: type string → number (breaking: changed)',
    ]);
  });

  it('an added enum value is breaking: clients that handle every case meet a new one', () => {
    const after = { get: returns(task.extend({ status: z.enum(['todo', 'done', 'archived']) })) };
    expect(changes(before, after)).toEqual([
      'get output.status: enum value "archived" added (breaking: widened)',
    ]);
    expect(changes(after, before)).toEqual([
      'get output.status: enum value "archived" removed (additive: narrowed)',
    ]);
  });

  it('a field that may be null or absent is breaking', () => {
    const after = { get: returns(task.extend({ id: z.string().nullable() })) };
    expect(changes(before, after)).toEqual([
      'get output.id: type string → null | string (breaking: widened)',
    ]);
    const optional = { get: returns(task.extend({ id: z.string().optional() })) };
    expect(changes(before, optional)).toEqual([
      'get output.id: may now be absent (breaking: widened)',
    ]);
  });

  it('compares union alternatives of the same kind with each other', () => {
    const event = (extra: z.ZodRawShape) =>
      returns(
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('created'), id: z.string(), ...extra }),
          z.object({ type: z.literal('deleted'), id: z.string() }),
        ]),
      );
    expect(changes({ last: event({}) }, { last: event({ by: z.string() }) })).toEqual([
      'last output.by: new required field (additive: added)',
    ]);
  });

  it('an output that may carry unknown fields is no change: clients ignore them', () => {
    expect(changes(before, { get: returns(z.looseObject(task.shape)) })).toEqual([]);
  });

  it('a declared output schema is additive; dropping it is breaking', () => {
    const untyped = { get: query };
    expect(changes(untyped, before)).toEqual(['get output: output schema added (additive: added)']);
    expect(changes(before, untyped)).toEqual([
      'get output: output schema removed (breaking: removed)',
    ]);
  });
});

describe('unions told apart by type (events)', () => {
  const event = <const T extends string>(type: T) =>
    z.object({ type: z.literal(type), data: z.object({ id: z.string() }) });
  const feed = (types: [string, string, ...string[]]) => ({
    list: returns(
      z.discriminatedUnion(
        'type',
        types.map(event) as [ReturnType<typeof event>, ReturnType<typeof event>],
      ),
    ),
  });

  it('a new event type in an output is additive: clients ignore types they do not know', () => {
    expect(
      changes(
        feed(['task.created', 'task.deleted']),
        feed(['task.created', 'task.deleted', 'task.moved']),
      ),
    ).toEqual([
      'list output: type "task.moved" added (clients ignore types they do not know) (additive: added)',
    ]);
  });

  it('a removed event type is a narrower output, as before', () => {
    const [line] = changes(
      feed(['task.created', 'task.deleted', 'task.moved']),
      feed(['task.created', 'task.deleted']),
    );
    expect(line).toMatch(/^list output: alternative .* removed \(additive: narrowed\)$/);
  });

  it('a new branch of a union told apart by another field stays breaking', () => {
    const kinds = (names: [string, string, ...string[]]) => ({
      get: returns(
        z.union(
          names.map((kind) => z.object({ kind: z.literal(kind) })) as unknown as [
            z.ZodType,
            z.ZodType,
          ],
        ),
      ),
    });
    const [line] = changes(kinds(['a', 'b']), kinds(['a', 'b', 'c']));
    expect(line).toMatch(/^get output: alternative .* added \(breaking: widened\)$/);
  });
});
