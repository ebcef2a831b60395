import type { AppRouter as ServerRouter } from '@trellis/api';
import type {
  AnyTRPCRootTypes,
  inferRouterInputs,
  inferRouterOutputs,
  TRPCBuiltRouter,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCRouterRecord,
  TRPCSubscriptionProcedure,
} from '@trpc/server';

// The server's router type carries its context (the database, the config, the caches). The
// published types must carry only the procedures, and a bundler copies every declaration a
// name leads to: so the router is rewritten here without its context, with every input and
// output written out member by member (a `TaskView` declared as `z.output<…>` would
// otherwise bring zod along).

/** A type written out member by member, so that no name in it points into the server. */
type Plain<T> =
  T extends AsyncIterable<infer Item, infer Return, infer Next>
    ? AsyncIterable<Plain<Item>, Plain<Return>, Next>
    : T extends object
      ? { [K in keyof T]: Plain<T[K]> }
      : T;

// Conditional on purpose, as `Plain` is: tsc writes a resolved conditional type out in full,
// where it would write a plain alias or mapped type by its name.

/** A procedure's types with its input and output written out. */
type PlainDef<Def> = Def extends { input: unknown; output: unknown; meta: unknown }
  ? {
      input: Plain<Def['input']>;
      output: Plain<Def['output']>;
      meta: Def['meta'];
      errorShape: Def extends { errorShape: infer Shape } ? Shape : unknown;
    }
  : never;

/** Every procedure of a router record (and of its nested records), written out. */
type PlainRecord<TRecord> = TRecord extends object
  ? {
      [K in keyof TRecord]: TRecord[K] extends TRPCQueryProcedure<infer Def>
        ? TRPCQueryProcedure<PlainDef<Def>>
        : TRecord[K] extends TRPCMutationProcedure<infer Def>
          ? TRPCMutationProcedure<PlainDef<Def>>
          : TRecord[K] extends TRPCSubscriptionProcedure<infer Def>
            ? TRPCSubscriptionProcedure<PlainDef<Def>>
            : PlainRecord<TRecord[K]>;
    }
  : never;

/** A router as a client sees it: the same procedures and error shape, no context. */
function withoutContext<TRoot extends AnyTRPCRootTypes, TRecord extends TRPCRouterRecord>(
  router: TRPCBuiltRouter<TRoot, TRecord>,
) {
  return router as unknown as TRPCBuiltRouter<
    {
      ctx: object;
      meta: TRoot['meta'];
      errorShape: TRoot['errorShape'];
      transformer: TRoot['transformer'];
    },
    PlainRecord<TRecord>
  >;
}

// Never called, and never loaded (index.ts imports this module's types only): it exists for
// its inferred return type, which tsc writes out in full in the declarations, where an alias
// would be written by name and lead the bundler back to the server's context.
function clientRouter() {
  return withoutContext(null as unknown as ServerRouter);
}

/** The router's type: every procedure's path, kind, input, output and error shape. */
export type AppRouter = ReturnType<typeof clientRouter>;
/** Input types of every procedure, by path. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Output types of every procedure, by path. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
