import { initTRPC, TRPCError } from '@trpc/server';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { declaredSchemas, procedureBuilder } from './procedure-builder.js';

const root = initTRPC.context<{ signedIn: boolean }>().create();
const procedure = procedureBuilder(root.procedure);
const callerOf = <TRecord extends Parameters<typeof root.router>[0]>(
  record: TRecord,
  ctx = { signedIn: true },
) => root.createCallerFactory(root.router(record))(ctx);

describe('procedureBuilder: parsing', () => {
  it('parses with zod synchronously: parseAsync is never called for a plain schema', async () => {
    const input = z.object({ n: z.number().int() });
    const output = z.object({ doubled: z.number() });
    const spies = [input, output].map((schema) => vi.spyOn(schema, 'parseAsync'));
    const caller = callerOf({
      double: procedure
        .input(input)
        .output(output)
        .query(({ input }) => ({ doubled: input.n * 2, extra: 'stripped' })),
    });

    expect(await caller.double({ n: 4 })).toEqual({ doubled: 8 });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses bad input as BAD_REQUEST with the zod error as cause', async () => {
    const caller = callerOf({
      double: procedure.input(z.object({ n: z.number().int() })).query(({ input }) => input.n),
    });

    const error = await caller.double({ n: 1.5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((error as TRPCError).cause).toBeInstanceOf(z.ZodError);
    expect((error as { cause: z.ZodError }).cause.issues[0]?.path).toEqual(['n']);
  });

  it('falls back to parseAsync for a schema with async parts, and still refuses with it', async () => {
    let asyncChecks = 0;
    const notTaken = z.string().refine(async (name) => {
      asyncChecks += 1;
      await Promise.resolve();
      return name !== 'taken';
    }, 'taken');
    const caller = callerOf({
      name: procedure.input(z.object({ name: notTaken })).query(({ input }) => input.name),
    });

    expect(await caller.name({ name: 'free' })).toBe('free');
    expect(asyncChecks).toBeGreaterThan(0);
    await expect(caller.name({ name: 'taken' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('turns an answer that fails its output schema into INTERNAL_SERVER_ERROR', async () => {
    const caller = callerOf({
      bad: procedure
        .output(z.object({ ok: z.literal(true) }))
        .query(() => JSON.parse('{"ok": false}') as { ok: true }),
    });

    await expect(caller.bad()).rejects.toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Output validation failed',
    });
  });

  it('merges chained inputs, later keys winning, as tRPC does', async () => {
    const caller = callerOf({
      merged: procedure
        .input(z.object({ workspaceId: z.string(), shared: z.string() }))
        .input(z.object({ taskId: z.string(), shared: z.string().transform((s) => `${s}!`) }))
        .query(({ input }) => input),
    });

    expect(await caller.merged({ workspaceId: 'w', taskId: 't', shared: 's' })).toEqual({
      workspaceId: 'w',
      taskId: 't',
      shared: 's!',
    });
  });
});

describe('procedureBuilder: guards and answers', () => {
  const guarded = procedure.use(({ ctx, next }) => {
    if (!ctx.signedIn) throw new TRPCError({ code: 'UNAUTHORIZED' });
    return next({ ctx: { user: 'ada' } });
  });

  it('runs guards before the input is parsed, and hands on what they add', async () => {
    const record = {
      whoami: guarded.input(z.object({ n: z.number() })).query(({ ctx }) => ctx.user),
    };
    await expect(
      callerOf(record, { signedIn: false }).whoami({ n: 'x' } as never),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await callerOf(record).whoami({ n: 1 })).toBe('ada');
  });

  it('lets `answer` answer in the procedure’s place, after the guards', async () => {
    const resolver = vi.fn(() => ({ fresh: true }));
    const replaying = procedureBuilder(root.procedure, {
      answer: async (call) => ({ replayed: call.path }),
    });
    const caller = callerOf({ once: replaying.mutation(resolver) });

    expect(await caller.once()).toEqual({ replayed: 'once' });
    expect(resolver).not.toHaveBeenCalled();
  });

  it('keeps what each procedure declared, for REST and OpenAPI', () => {
    const input = z.object({ n: z.number() });
    const output = z.object({ ok: z.boolean() });
    const built = guarded
      .input(input)
      .output(output)
      .mutation(() => ({ ok: true }));

    expect(declaredSchemas(built)).toEqual({ inputs: [input], output });
    expect(declaredSchemas(root.procedure.query(() => 1))).toBeUndefined();
  });

  it('refuses, when a router is defined, what would need tRPC’s own chain', () => {
    const input = z.object({ n: z.number() });
    expect(() => procedure.input(input).use(({ next }) => next())).toThrow(/after \.input\(\)/);
    expect(() => procedure.meta({})).toThrow(/\.meta\(\) is not supported/);
    expect(() => procedure.input({ parse: (value: unknown) => value })).toThrow(/zod schema/);
  });
});
