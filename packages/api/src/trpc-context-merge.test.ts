import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

// tRPC merges each middleware's `next({ ctx })` into the context, the inputs of chained
// `.input()` calls into one, and an output parser's result into the call's result, with
// copies that patches/@trpc__server@11.22.1.patch makes faster (a leaner helper, and
// spread syntax in the middleware chain). These are the properties of those copies the
// procedures rely on, checked through tRPC's public API.

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
