import { describe, expectTypeOf, it } from 'vitest';
import {
  createClient,
  type FieldErrors,
  isTrellisError,
  type RouterInputs,
  type RouterOutputs,
  type TaskChange,
  type TrellisClient,
  type TrellisErrorCode,
  withIdempotencyKey,
} from './index.js';

// These assertions are checked by the compiler (`pnpm typecheck` runs tsc over test files):
// a wrong input must be a compile error, not a runtime surprise.

// Creating a client sends nothing; these tests never call the server.
const client: TrellisClient = createClient({ url: 'http://127.0.0.1:9' });

function compileTimeOnly() {
  // @ts-expect-error: `password` is required
  void client.auth.signUp.mutate({ email: 'a@example.com', name: 'A' });
  // @ts-expect-error: `slug` must be a string
  void client.workspaces.create.mutate({ name: 'Acme', slug: 42 });
  // @ts-expect-error: no such procedure
  void client.workspaces.rename.mutate({ workspaceId: 'w' });
  // @ts-expect-error: queries are not mutations
  void client.auth.me.mutate();
  // @ts-expect-error: `token` must be a string
  createClient({ url: 'http://localhost:3000', token: 1 });
  // @ts-expect-error: an event id is the string the server sent
  client.tasks.onChange.subscribe({ workspaceId: 'w', lastEventId: 1 }, {});
  // @ts-expect-error: subscriptions are not queries
  void client.tasks.onChange.query({ workspaceId: 'w' });
  // @ts-expect-error: onUnauthorized receives the error
  createClient({ url: 'http://localhost:3000', onUnauthorized: (e: string) => e });
  // @ts-expect-error: an idempotency key is a string
  withIdempotencyKey(42);
  void client.tasks.create.mutate(
    { projectId: 'p', title: 'T' },
    { ...withIdempotencyKey('k'), signal: new AbortController().signal },
  );
  client.tasks.onChange.subscribe(
    { workspaceId: 'w' },
    { onData: (event) => expectTypeOf(event).toEqualTypeOf<TaskChange>() },
  );
}

describe('client types', () => {
  it('infers procedure inputs and outputs from the server router', () => {
    expectTypeOf(compileTimeOnly).toBeFunction();
    expectTypeOf<RouterInputs['workspaces']['create']>().toEqualTypeOf<{
      name: string;
      slug: string;
    }>();
    expectTypeOf<RouterOutputs['auth']['me']['workspaces'][number]['role']>().toEqualTypeOf<
      'owner' | 'admin' | 'member' | 'viewer'
    >();
    expectTypeOf(client.workspaces.get.query).parameter(0).toEqualTypeOf<{ workspaceId: string }>();
    expectTypeOf<Awaited<ReturnType<typeof client.auth.signUp.mutate>>['session']>().toEqualTypeOf<{
      token: string;
      expiresAt: string;
    }>();
  });

  it('types errors: the contract code, field errors and HTTP status', () => {
    const error: unknown = new Error('x');
    if (isTrellisError(error)) {
      expectTypeOf(error.code).toEqualTypeOf<TrellisErrorCode | undefined>();
      expectTypeOf(error.fieldErrors).toEqualTypeOf<FieldErrors | undefined>();
      expectTypeOf(error.status).toEqualTypeOf<number | undefined>();
    }
    expectTypeOf<'BAD_REQUEST'>().toExtend<TrellisErrorCode>();
    expectTypeOf<'TEAPOT'>().not.toExtend<TrellisErrorCode>();
  });

  it('types live task events: an id, and the change it tracks', () => {
    expectTypeOf<TaskChange['id']>().toEqualTypeOf<string>();
    expectTypeOf<TaskChange['data']['type']>().toEqualTypeOf<'created' | 'updated' | 'deleted'>();
    expectTypeOf<TaskChange['data']['task']>().toEqualTypeOf<RouterOutputs['tasks']['create']>();
    expectTypeOf<RouterInputs['tasks']['onChange']>().toEqualTypeOf<{
      workspaceId: string;
      lastEventId?: string | undefined;
    }>();
  });
});
