import { type TRPCDefaultErrorShape, TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createContext } from './context.js';
import { fieldErrorsOf, formatError, TRELLIS_ERROR_CODES } from './errors.js';
import { appRouter } from './root.js';
import { createHarness, type Harness, testConfig, testRequest } from './test/harness.js';

/** The zod error a schema gives for `input`. */
function zodErrorOf(schema: z.ZodType, input: unknown): z.ZodError {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the input to be invalid');
  return result.error;
}

/** The default shape tRPC would build for `error`, stack included as in development. */
function defaultShape(error: TRPCError, path?: string): TRPCDefaultErrorShape {
  return {
    code: TRPC_ERROR_CODES_BY_KEY[error.code],
    message: error.message,
    data: {
      code: error.code,
      httpStatus: getHTTPStatusCodeFromError(error),
      ...(path === undefined ? {} : { path }),
      stack: 'Error: boom\n    at handler (/srv/trellis/src/secret.ts:1:1)',
    },
  };
}

const signUpSchema = z
  .object({ email: z.email(), password: z.string().min(10), name: z.string().min(1) })
  .strict();

describe('TRELLIS_ERROR_CODES', () => {
  it("is tRPC's codes, each once, with the first code of each status the one REST picks", () => {
    expect([...TRELLIS_ERROR_CODES].sort()).toEqual(Object.keys(TRPC_ERROR_CODES_BY_KEY).sort());
    expect(new Set(TRELLIS_ERROR_CODES).size).toBe(TRELLIS_ERROR_CODES.length);
    const first = new Map<number, string>();
    for (const code of TRELLIS_ERROR_CODES) {
      const status = getHTTPStatusCodeFromError(new TRPCError({ code }));
      if (!first.has(status)) first.set(status, code);
    }
    expect(first.get(400)).toBe('BAD_REQUEST');
  });
});

describe('fieldErrorsOf', () => {
  it('maps each invalid field of a zod error to its messages', () => {
    const error = zodErrorOf(signUpSchema, { email: 'nope', password: 'short', name: 'Ada' });

    expect(fieldErrorsOf(error)).toEqual({
      email: [expect.any(String)],
      password: [expect.stringContaining('10')],
    });
  });

  // Found by the fuzzing suite (reliability/fuzz.test.ts): an unknown key named
  // `__proto__` or `constructor` made the formatter throw, and the client got a 500.
  it('names unknown keys that are Object members as plain fields', () => {
    const input = JSON.parse(
      '{"email":"a@example.com","password":"long enough password","name":"Ada",' +
        '"__proto__":{"polluted":"yes"},"constructor":1,"toString":2}',
    );
    const fields = fieldErrorsOf(zodErrorOf(signUpSchema, input));

    expect(Object.keys(fields ?? {}).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value).toEqual([
      'Unrecognized key',
    ]);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names each unknown key as its own field', () => {
    const error = zodErrorOf(signUpSchema, {
      email: 'a@example.com',
      password: 'long enough password',
      name: 'Ada',
      isAdmin: true,
      role: 'owner',
    });

    expect(fieldErrorsOf(error)).toEqual({
      isAdmin: ['Unrecognized key'],
      role: ['Unrecognized key'],
    });
  });

  it('joins nested paths with dots, array indexes included', () => {
    const schema = z.object({
      profile: z.object({ name: z.string().min(1) }).strict(),
      labels: z.array(z.string().max(3)),
    });

    const error = zodErrorOf(schema, { profile: { name: '', age: 3 }, labels: ['ok', 'too long'] });

    expect(fieldErrorsOf(error)).toEqual({
      'profile.name': [expect.any(String)],
      'profile.age': ['Unrecognized key'],
      'labels.1': [expect.any(String)],
    });
  });

  it('collects every message for a field that fails several checks', () => {
    const schema = z.object({
      slug: z
        .string()
        .min(5)
        .regex(/^[a-z]+$/, 'Lowercase only'),
    });

    const error = zodErrorOf(schema, { slug: 'A1' });

    expect(fieldErrorsOf(error)).toEqual({ slug: [expect.any(String), 'Lowercase only'] });
  });

  it('files a problem with the input as a whole under the empty path', () => {
    const error = zodErrorOf(z.object({ a: z.string() }), 'not an object');

    expect(fieldErrorsOf(error)).toEqual({ '': [expect.any(String)] });
  });

  it('reads Standard Schema issues whose path segments are objects', () => {
    const cause = {
      issues: [
        { message: 'Too short', path: [{ key: 'members' }, { key: 0 }, { key: 'email' }] },
        { message: 'Required', path: ['name'] },
      ],
    };

    expect(fieldErrorsOf(cause)).toEqual({
      'members.0.email': ['Too short'],
      name: ['Required'],
    });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a plain Error', new Error('boom')],
    ['a string', 'issues'],
    ['an object whose issues are not a list', { issues: 'many' }],
  ])('gives undefined for %s', (_, cause) => {
    expect(fieldErrorsOf(cause)).toBeUndefined();
  });
});

describe('formatError', () => {
  it('turns a validation error into field errors and a message that names the fields', () => {
    const cause = zodErrorOf(signUpSchema, {
      email: 'a@example.com',
      password: 'short',
      name: 'Ada',
      extra: 1,
    });
    const error = new TRPCError({ code: 'BAD_REQUEST', cause });

    const formatted = formatError({ shape: defaultShape(error, 'auth.signUp'), error });

    expect(formatted).toEqual({
      code: -32600,
      message:
        'Invalid input: password: Too small: expected string to have >=10 characters; ' +
        'extra: Unrecognized key',
      data: {
        code: 'BAD_REQUEST',
        httpStatus: 400,
        path: 'auth.signUp',
        fieldErrors: { extra: ['Unrecognized key'], password: [expect.any(String)] },
      },
    });
  });

  it('labels a whole-input problem as (input) in the message', () => {
    const error = new TRPCError({
      code: 'BAD_REQUEST',
      cause: zodErrorOf(z.object({}), 'not an object'),
    });

    const { message } = formatError({ shape: defaultShape(error), error });

    expect(message).toMatch(/^Invalid input: \(input\): /);
  });

  it('keeps the message of a BAD_REQUEST that carries no validation issues', () => {
    const error = new TRPCError({ code: 'BAD_REQUEST', message: 'Cursor is stale' });

    const formatted = formatError({ shape: defaultShape(error), error });

    expect(formatted.message).toBe('Cursor is stale');
    expect(formatted.data).toEqual({ code: 'BAD_REQUEST', httpStatus: 400 });
  });

  it('passes contract errors through with their code, status and message', () => {
    const error = new TRPCError({ code: 'NOT_FOUND', message: 'Workspace not found' });

    const formatted = formatError({ shape: defaultShape(error, 'workspaces.get'), error });

    expect(formatted).toEqual({
      code: -32004,
      message: 'Workspace not found',
      data: { code: 'NOT_FOUND', httpStatus: 404, path: 'workspaces.get' },
    });
  });

  it('adds field errors only to BAD_REQUEST, even when another error has issues', () => {
    const cause = zodErrorOf(z.object({ a: z.string() }), {});
    const error = new TRPCError({ code: 'CONFLICT', message: 'Stale version', cause });

    const formatted = formatError({ shape: defaultShape(error), error });

    expect(formatted.message).toBe('Stale version');
    expect(formatted.data).not.toHaveProperty('fieldErrors');
  });

  it('hides the message and stack of a server error', () => {
    const error = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'SQLITE_ERROR: no such column: secret_hash in SELECT * FROM sessions',
    });

    const formatted = formatError({ shape: defaultShape(error, 'auth.me'), error });

    expect(formatted).toEqual({
      code: -32603,
      message: 'Internal server error',
      data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path: 'auth.me' },
    });
  });

  it('says a database that cannot write is unavailable (503), not a bug', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const error = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: full });

    const formatted = formatError({ shape: defaultShape(error, 'tasks.create'), error });

    expect(formatted).toEqual({
      code: -32603, // tRPC's JSON-RPC code for SERVICE_UNAVAILABLE (the same as a server error's)
      message: 'The database cannot write: its disk is full',
      data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, path: 'tasks.create' },
    });
  });
});

describe('errors over HTTP', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createHarness();
  });

  afterEach(async () => {
    await harness.destroy();
  });

  /** POSTs `input` to a mutation through the fetch adapter and returns the JSON body. */
  async function post(path: string, input: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetchRequestHandler({
      endpoint: '/trpc',
      router: appRouter,
      req: new Request(`http://localhost:3000/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      }),
      createContext: () =>
        createContext({
          db: harness.db,
          config: testConfig,
          req: testRequest(),
          setCookie: () => {},
          setHeader: () => {},
        }),
    });
    return { status: response.status, body: await response.json() };
  }

  it('answers invalid input with 400 and the offending fields', async () => {
    const { status, body } = await post('auth.signUp', {
      email: 'a@example.com',
      password: '123456789',
      name: 'Ada',
      isAdmin: true,
    });

    expect(status).toBe(400);
    expect(body).toEqual({
      error: {
        code: -32600,
        message: expect.stringMatching(/^Invalid input: /),
        data: {
          code: 'BAD_REQUEST',
          httpStatus: 400,
          path: 'auth.signUp',
          fieldErrors: { password: [expect.any(String)], isAdmin: ['Unrecognized key'] },
        },
      },
    });
  });

  it('answers a server fault with 500 and nothing internal', async () => {
    await harness.db.schema.dropTable('sessions').execute();

    const { status, body } = await post('auth.signUp', {
      email: 'a@example.com',
      password: 'correct horse battery staple',
      name: 'Ada',
    });

    expect(status).toBe(500);
    expect(body).toEqual({
      error: {
        code: -32603,
        message: 'Internal server error',
        data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path: 'auth.signUp' },
      },
    });
  });
});
