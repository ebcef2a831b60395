// The event payloads in `pnpm api:check`: webhooks and `events.list` send them, so a change
// to one must fail the check like a change to a procedure's answer does. The check reads a
// router's procedures; each event is added to it as an output-only entry named
// `event:<type>` (kind `subscription`: the server pushes it), so that the comparison, its
// severities (a payload may narrow, not widen or lose a field) and the CHANGELOG rule for
// breaking changes apply to events unchanged.
import { type AnyTRPCRouter, initTRPC } from '@trpc/server';
import type { z } from 'zod';
import { logEventOutputs, pingEventOutput } from '../src/outputs.js';

/** An event's schema: an object whose `type` is a literal. */
export type EventSchema = z.ZodObject<{ type: z.ZodLiteral<string> }>;

/** Every event a webhook can receive: the log's, and `webhook.ping`. */
export const EVENT_SCHEMAS: readonly EventSchema[] = [...logEventOutputs, pingEventOutput];

/** Where an event is recorded in the surface: `event:task.created`. */
export function eventSurfacePath(type: string): string {
  return `event:${type}`;
}

/** `router` with one output-only entry per event, for the surface check to read. */
export function withEvents(
  router: AnyTRPCRouter,
  events: readonly EventSchema[] = EVENT_SCHEMAS,
): AnyTRPCRouter {
  const t = initTRPC.create();
  const entries = Object.fromEntries(
    events.map((schema) => [
      eventSurfacePath(schema.shape.type.value),
      t.procedure.output(schema).subscription(() => {
        throw new Error('An event entry is read for its output schema, never called');
      }),
    ]),
  );
  return t.mergeRouters(router, t.router(entries));
}
