import { TRPCError, type TRPCProcedureType } from '@trpc/server';
import { z } from 'zod';

// tRPC builds each `.input()` and `.output()` as a middleware level of its own, and parses
// zod schemas there with `parseAsync`. Every level copies the call's options (with a
// compiled spread helper), and zod's async path builds promises even for schemas with
// nothing async in them: on a point read that is a third of tRPC's time. This builder keeps
// tRPC's types and public methods, but parses the declared schemas synchronously in the
// procedure's last step, around its resolver: a procedure is its guard's level and its
// resolver's, nothing more. Errors are tRPC's own: BAD_REQUEST with the zod error as cause,
// INTERNAL_SERVER_ERROR "Output validation failed". docs/performance.md has the numbers.

/** The schemas a procedure declared: one per `.input()` (merged as tRPC does), `.output()`. */
export interface DeclaredSchemas {
  inputs: readonly z.ZodType[];
  output: z.ZodType | undefined;
}

/** What tRPC hands a resolver: the call's options after every guard. */
export interface ResolverCall {
  ctx: object;
  type: TRPCProcedureType;
  path: string;
  input: unknown;
  getRawInput(): Promise<unknown>;
  signal: AbortSignal | undefined;
  batchIndex: number;
}

/** How the procedures of one builder are built. */
export interface BuilderOptions {
  /**
   * Runs around every procedure's answer (input parsed, resolver run, output parsed), after
   * its guards; may answer without calling `resolve` (an idempotent replay). Without it,
   * the answer is `resolve()`.
   */
  answer?(call: ResolverCall, resolve: () => Promise<unknown>): Promise<unknown>;
}

type Resolver = (call: ResolverCall) => unknown;

/** The part of tRPC's procedure builder called here; its generic types stay tRPC's. */
interface TrpcBuilder {
  use(middleware: never): TrpcBuilder;
  query(resolver: never): unknown;
  mutation(resolver: never): unknown;
  subscription(resolver: never): unknown;
}

/** The same builder at run time, with the resolver type it is called with here. */
interface CallableBuilder {
  use(middleware: unknown): CallableBuilder;
  query(resolver: Resolver): object;
  mutation(resolver: Resolver): object;
  subscription(resolver: Resolver): object;
}

const declared = new WeakMap<object, DeclaredSchemas>();

/**
 * What `procedure` declared with `.input()` and `.output()`, for the REST mapping, the
 * OpenAPI document and `pnpm api:check`; undefined if it was not built by
 * {@link procedureBuilder}.
 */
export function declaredSchemas(procedure: object): DeclaredSchemas | undefined {
  return declared.get(procedure);
}

/**
 * tRPC's `t.procedure`, built by this module: `.use()` adds guards as tRPC does, `.input()`
 * and `.output()` take zod schemas, parsed synchronously around the resolver. Typed as the
 * builder it wraps, so that procedures infer exactly what tRPC would infer. Methods that
 * would need tRPC's own chain (`.meta()`, `.concat()`, …) and `.use()` after `.input()` or
 * `.output()` throw when a router is defined, not when it is called.
 */
export function procedureBuilder<TBuilder extends TrpcBuilder>(
  builder: TBuilder,
  options: BuilderOptions = {},
): TBuilder {
  // tRPC's builder type has generic methods that no object written here can be checked
  // against; at run time it is called exactly as below.
  const built = building(builder as unknown as CallableBuilder, [], undefined, options);
  return built as unknown as TBuilder;
}

function building(
  builder: CallableBuilder,
  inputs: readonly z.ZodType[],
  output: z.ZodType | undefined,
  options: BuilderOptions,
) {
  const declaring = inputs.length > 0 || output !== undefined;
  const build = (resolver: Resolver, make: (resolver: Resolver) => object) => {
    const schemas: DeclaredSchemas = { inputs, output };
    const procedure = make(answering(schemas, resolver, options));
    declared.set(procedure, schemas);
    return procedure;
  };
  return {
    use(middleware: unknown) {
      // A guard after `.input()` would see the raw input where tRPC gives it the parsed one.
      if (declaring) throw unsupported('.use() after .input() or .output()');
      return building(builder.use(middleware), inputs, output, options);
    },
    input(schema: unknown) {
      return building(builder, [...inputs, zodSchema(schema, '.input()')], output, options);
    },
    output(schema: unknown) {
      return building(builder, inputs, zodSchema(schema, '.output()'), options);
    },
    query: (resolver: Resolver) => build(resolver, (r) => builder.query(r)),
    mutation: (resolver: Resolver) => build(resolver, (r) => builder.mutation(r)),
    subscription: (resolver: Resolver) => build(resolver, (r) => builder.subscription(r)),
    meta: () => unsupported('.meta()'),
    errors: () => unsupported('.errors()'),
    concat: () => unsupported('.concat()'),
    unstable_concat: () => unsupported('.unstable_concat()'),
    experimental_caller: () => unsupported('.experimental_caller()'),
  };
}

function unsupported(what: string): never {
  throw new Error(`${what} is not supported by the procedure builder (procedure-builder.ts)`);
}

function zodSchema(schema: unknown, where: string): z.ZodType {
  if (!(schema instanceof z.ZodType)) throw new Error(`${where} takes a zod schema`);
  return schema;
}

/** The resolver as tRPC calls it: the input parsed first, the answer parsed last. */
function answering(schemas: DeclaredSchemas, resolver: Resolver, options: BuilderOptions) {
  const { inputs, output } = schemas;
  const resolve = async (call: ResolverCall): Promise<unknown> => {
    const input = inputs.length === 0 ? call.input : await parsedInput(inputs, call);
    const data = await resolver(inputs.length === 0 ? call : { ...call, input });
    return output === undefined ? data : parsed(output, data, outputFailed);
  };
  const { answer } = options;
  return answer === undefined ? resolve : (call: ResolverCall) => answer(call, () => resolve(call));
}

const inputFailed = (cause: unknown) => new TRPCError({ code: 'BAD_REQUEST', cause });
const outputFailed = (cause: unknown) =>
  new TRPCError({ message: 'Output validation failed', code: 'INTERNAL_SERVER_ERROR', cause });

/** Each schema parses the raw input; objects merge, later keys winning (tRPC's rule). */
async function parsedInput(inputs: readonly z.ZodType[], call: ResolverCall): Promise<unknown> {
  const raw = await call.getRawInput();
  let input = call.input;
  for (const schema of inputs) {
    let value = parsed(schema, raw, inputFailed);
    if (value instanceof Promise) value = await value;
    input = isObject(input) && isObject(value) ? { ...input, ...value } : value;
  }
  return input;
}

/**
 * `schema.parse(value)`, or `parseAsync` when zod says the schema has async parts (then a
 * promise); a failure becomes `failed(zodError)`.
 */
function parsed(schema: z.ZodType, value: unknown, failed: (cause: unknown) => TRPCError): unknown {
  try {
    return schema.parse(value);
  } catch (error) {
    if (!(error instanceof z.core.$ZodAsyncError)) throw failed(error);
  }
  return schema.parseAsync(value).catch((cause: unknown) => {
    throw failed(cause);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && !Array.isArray(value) && typeof value === 'object';
}
