import type { AppRouter as ServerRouter } from '@trellis/api';
import type {
  AnyTRPCRouter,
  inferRouterError,
  inferRouterInputs,
  inferRouterOutputs,
} from '@trpc/server';
import { describe, expectTypeOf, it } from 'vitest';
import type { AppRouter } from './router.js';

/** Each procedure's kind (query, mutation, subscription), by path. */
type Kinds<TRecord> = {
  [K in keyof TRecord]: TRecord[K] extends { _def: { type: infer Kind } }
    ? Kind
    : Kinds<TRecord[K]>;
};
type KindsOf<TRouter extends AnyTRPCRouter> = Kinds<TRouter['_def']['record']>;

// Checked by the type-check (`tsc` covers test files): any difference fails to compile.
describe("the client's router type", () => {
  it('has the procedures, kinds, inputs, outputs and error shape of the server router', () => {
    expectTypeOf<KindsOf<AppRouter>>().toEqualTypeOf<KindsOf<ServerRouter>>();
    expectTypeOf<inferRouterInputs<AppRouter>>().toEqualTypeOf<inferRouterInputs<ServerRouter>>();
    expectTypeOf<inferRouterOutputs<AppRouter>>().toEqualTypeOf<inferRouterOutputs<ServerRouter>>();
    expectTypeOf<inferRouterError<AppRouter>>().toEqualTypeOf<inferRouterError<ServerRouter>>();
  });

  it('carries no server context', () => {
    expectTypeOf<AppRouter['_def']['_config']['$types']['ctx']>().toEqualTypeOf<object>();
  });
});
