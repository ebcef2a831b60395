import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

// tRPC merges each middleware's `next({ ctx })` into the context, the inputs of chained
// `.input()` calls into one, and an output parser's result into the call's result, with
// copies that patches/@trpc__server@11.22.1.patch makes faster (a leaner helper, and
// spread syntax in the middleware chain). These are the properties of those copies the
// procedures rely on, checked through tRPC's public API. The patch also parses zod schemas
// synchronously (falling back to parseAsync for a schema with async parts): the last block
// pins that both kinds of schema still parse, and fail, as before.

const marker = Symbol('marker');

describe('tRPC context merging (patched copy helper)', () => {
  it('keeps earlier keys, overrides with later ones, and carries symbol keys', async () => {
    const t = initTRPC.context<{ a: number; b: string }>().create();
    const procedure = t.procedure
      .use(({ next }) => next({ ctx: { b: 'second', c: true, [marker]: 'symbol' } }))
      .use(({ next }) => next({ ctx: { d: [1, 2] } }))
      .query(({ ctx }) => ({ a: ctx.a, b: ctx.b, c: ctx.c, d: ctx.d, marker: ctx[marker] }));
    const caller = t.createCallerFactory(t.router({ procedure }))({ a: 1, b: 'first' });

    expect(await caller.procedure()).toEqual({
      a: 1,
      b: 'second',
      c: true,
      d: [1, 2],
      marker: 'symbol',
    });
  });

  it('copies a `__proto__` key as data, never as a prototype change', async () => {
    const t = initTRPC.context<Record<string, unknown>>().create();
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}') as Record<
      string,
      unknown
    >;
    const procedure = t.procedure
      .use(({ next }) => next({ ctx: hostile }))
      .query(({ ctx }) => ({
        prototypeKept: Object.getPrototypeOf(ctx) === Object.prototype,
        polluted: (ctx as { polluted?: unknown }).polluted,
        ownProto: Object.getOwnPropertyDescriptor(ctx, '__proto__')?.value,
        plain: ctx.plain,
      }));
    const caller = t.createCallerFactory(t.router({ procedure }))({});

    expect(await caller.procedure()).toEqual({
      prototypeKept: true,
      polluted: undefined,
      ownProto: { polluted: true },
      plain: 1,
    });
  });

  it('merges chained inputs, later keys winning, and gives the resolver the parsed output', async () => {
    const t = initTRPC.create();
    const procedure = t.procedure
      .input(z.object({ workspaceId: z.string(), shared: z.string() }))
      .input(z.object({ taskId: z.string(), shared: z.string().transform((s) => `${s}!`) }))
      .output(z.object({ seen: z.record(z.string(), z.string()) }))
      .query(({ input }) => ({ seen: input, dropped: 'by the output parser' }));
    const caller = t.createCallerFactory(t.router({ procedure }))({});

    expect(await caller.procedure({ workspaceId: 'w', taskId: 't', shared: 's' })).toEqual({
      seen: { workspaceId: 'w', taskId: 't', shared: 's!' },
    });
  });
});

describe('tRPC input and output parsing (patched to parse zod synchronously)', () => {
  const t = initTRPC.create();
  let asyncChecks = 0;
  const notTaken = z.string().refine(async (name) => {
    asyncChecks += 1;
    await Promise.resolve();
    return name !== 'taken';
  }, 'taken');
  const router = t.router({
    sync: t.procedure
      .input(z.object({ n: z.number().int() }))
      .output(z.object({ doubled: z.number() }))
      .query(({ input }) => ({ doubled: input.n * 2, extra: 'stripped' })),
    asyncInput: t.procedure.input(z.object({ name: notTaken })).query(({ input }) => input.name),
    badOutput: t.procedure
      .output(z.object({ ok: z.literal(true) }))
      .query(() => JSON.parse('{"ok": false}') as { ok: true }),
  });
  const caller = t.createCallerFactory(router)({});

  it('parses a plain schema, and refuses bad input with zod issues as the cause', async () => {
    expect(await caller.sync({ n: 4 })).toEqual({ doubled: 8 });
    const error = await caller.sync({ n: 1.5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    expect(
      (error as { cause?: { issues?: { path: unknown[] }[] } }).cause?.issues?.[0]?.path,
    ).toEqual(['n']);
  });

  it('falls back to the async parse for a schema with an async refinement', async () => {
    asyncChecks = 0;
    expect(await caller.asyncInput({ name: 'free' })).toBe('free');
    expect(asyncChecks).toBeGreaterThan(0);
    await expect(caller.asyncInput({ name: 'taken' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('still turns an output that fails its schema into INTERNAL_SERVER_ERROR', async () => {
    await expect(caller.badOutput()).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
  });
});
