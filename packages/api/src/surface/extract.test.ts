import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '../root.js';
import { extractSurface } from './extract.js';
import { parseSurface, serializeSurface } from './surface.js';

const t = initTRPC.create();

describe('extractSurface', () => {
  it('records each procedure with its kind, its input as sent and its output as received', () => {
    const router = t.router({
      tasks: t.router({
        create: t.procedure
          .input(z.object({ title: z.string(), size: z.number().default(1) }))
          .output(z.object({ id: z.string(), size: z.number().default(1) }))
          .mutation(() => ({ id: 'x', size: 1 })),
        ping: t.procedure.query(() => 'pong'),
        onChange: t.procedure
          .input(z.object({ id: z.string() }))
          .subscription(async function* () {}),
      }),
    });
    const { procedures } = extractSurface(router);
    expect(Object.keys(procedures)).toEqual(['tasks.create', 'tasks.onChange', 'tasks.ping']);
    expect(procedures['tasks.ping']).toEqual({ type: 'query' });
    expect(procedures['tasks.onChange']?.type).toBe('subscription');
    expect(procedures['tasks.onChange']?.output).toBeUndefined();
    // A default makes the field optional for clients, and certain in answers.
    expect(procedures['tasks.create']?.input?.required).toEqual(['title']);
    expect(procedures['tasks.create']?.output?.required).toEqual(['id', 'size']);
  });

  it('merges the inputs of a procedure built with several `.input()` calls', () => {
    const router = t.router({
      get: t.procedure
        .input(z.object({ workspaceId: z.string() }))
        .input(z.object({ taskId: z.string(), full: z.boolean().optional() }))
        .query(() => null),
    });
    const input = extractSurface(router).procedures.get?.input;
    expect(Object.keys(input?.properties ?? {})).toEqual(['full', 'taskId', 'workspaceId']);
    expect(input?.required).toEqual(['taskId', 'workspaceId']);
  });

  it('turns what JSON Schema cannot express into "anything" instead of failing', () => {
    const router = t.router({
      at: t.procedure
        .input(z.object({ when: z.date() }))
        .output(z.string().transform((text) => text.length))
        .query(() => 'when'),
    });
    const surface = extractSurface(router).procedures.at;
    expect(surface?.input?.properties).toEqual({ when: {} });
    expect(surface?.output).toEqual({});
  });

  it('refuses a parser that is not a zod schema, naming the procedure', () => {
    const router = t.router({
      odd: t.procedure.input((raw: unknown) => String(raw)).query(() => 1),
    });
    expect(() => extractSurface(router)).toThrow('odd: its input parser is not a zod schema');
  });

  it('serializes with sorted keys, so equal surfaces give equal files, and reads them back', () => {
    const surface = extractSurface(appRouter);
    const text = serializeSurface(surface);
    expect(serializeSurface(extractSurface(appRouter))).toBe(text);
    expect(parseSurface(text)).toEqual(surface);
    const keys = Object.keys(surface.procedures['tasks.list']?.input?.properties ?? {});
    expect(keys).toEqual([...keys].sort());
  });

  it('describes every procedure of the real router, transformed cursors included', () => {
    const { procedures } = extractSurface(appRouter);
    expect(Object.keys(procedures).length).toBe(Object.keys(appRouter._def.procedures).length);
    expect(procedures['tasks.list']?.input?.properties).toMatchObject({
      cursor: { type: 'string' },
    });
  });

  it('refuses a malformed snapshot, saying where', () => {
    const text = JSON.stringify({ procedures: { 'tasks.get': { type: 'fetch' } } });
    expect(() => parseSurface(text)).toThrow(
      'Malformed API surface snapshot at procedures.tasks.get.type',
    );
  });
});
