import type { LogEvent, WebhookEvent } from '@trellis/api';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type RouterOutputs,
  type TrellisEvent,
  type TrellisEventType,
  type TrellisWebhookEvent,
  verifyWebhook,
} from './index.js';

// Checked by the compiler (`pnpm typecheck` runs tsc over test files). The event types are
// the server's schemas' output written out member by member: the same types, so they cannot
// drift from what is sent, without zod (the type bundle fails the build if a declaration
// reaches zod; the pack test type-checks them outside the workspace, where no zod exists).

type Task = RouterOutputs['tasks']['create'];
type Comment = RouterOutputs['comments']['list']['items'][number];

/** What a receiver does with each event: only what its type allows. */
function handle(event: TrellisWebhookEvent): string {
  switch (event.type) {
    case 'task.created':
    case 'task.deleted':
      expectTypeOf(event.data).toEqualTypeOf<Task>();
      // @ts-expect-error: only changes carry `changes`
      void event.changes;
      return event.data.key;
    case 'task.updated':
      expectTypeOf(event.changes).toEqualTypeOf<Record<string, { from: unknown; to: unknown }>>();
      return `${event.data.key}: ${Object.keys(event.changes).join(', ')}`;
    case 'comment.created':
      expectTypeOf(event.data).toEqualTypeOf<Comment>();
      // @ts-expect-error: a comment has no key
      void event.data.key;
      return event.data.body;
    case 'member.role_changed':
      return `${event.data.name} is now ${event.data.role}`;
    case 'webhook.ping':
      expectTypeOf(event.data).toEqualTypeOf<{ webhookId: string }>();
      return event.data.webhookId;
    default:
      return event.type;
  }
}

function compileTimeOnly(headers: Record<string, string>) {
  const event = verifyWebhook('whsec_x', headers, '{}');
  handle(event);
  // @ts-expect-error: no such event type
  if (event.type === 'task.renamed') return;
  // @ts-expect-error: the body is text or bytes, not parsed JSON
  verifyWebhook('whsec_x', headers, { id: 'evt_1' });
  // @ts-expect-error: headers are strings
  verifyWebhook('whsec_x', { 'webhook-id': 1 }, '{}');
  verifyWebhook('whsec_x', new Headers(headers), new Uint8Array());
}

describe('webhook event types', () => {
  it('narrow by type: each event its own data, changes where something changed', () => {
    expectTypeOf(compileTimeOnly).toBeFunction();
    expectTypeOf(handle).returns.toBeString();
    expectTypeOf<Extract<TrellisEvent, { type: 'task.updated' }>['data']>().toEqualTypeOf<Task>();
    expectTypeOf<'webhook.ping'>().not.toExtend<TrellisEventType>();
    expectTypeOf<
      'task.created' | 'comment.created' | 'member.joined'
    >().toExtend<TrellisEventType>();
  });

  it("are the server's event types, written out", () => {
    expectTypeOf<TrellisEvent>().toEqualTypeOf<LogEvent>();
    expectTypeOf<TrellisWebhookEvent>().toEqualTypeOf<WebhookEvent>();
    // Pushed or pulled, the same events (tRPC's JSON typing makes `changes`' from/to
    // optional, as `unknown` may be undefined; the objects are the same).
    type Pulled = RouterOutputs['events']['list']['items'][number];
    expectTypeOf<Pulled['type']>().toEqualTypeOf<TrellisEventType>();
    expectTypeOf<Extract<Pulled, { type: 'task.updated' }>['data']>().toEqualTypeOf<
      Extract<TrellisEvent, { type: 'task.updated' }>['data']
    >();
    expectTypeOf<TrellisEvent['timestamp']>().toEqualTypeOf<string>();
    expectTypeOf<TrellisEvent['actor']>().toEqualTypeOf<{
      userId: string;
      name: string;
    } | null>();
  });
});
