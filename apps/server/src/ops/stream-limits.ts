import type { Context } from '@trellis/api';
import type { FastifyRequest } from 'fastify';
import { errorBody } from '../errors.js';
import { watchUser } from './request-user.js';

// A live stream (tasks.onChange over SSE) holds a connection, a poll timer and a database
// read per second for as long as its client stays. One user opening hundreds of them (a
// buggy tab reopening in a loop, or on purpose) would take those from everyone, so each
// user may hold `MAX_STREAMS_PER_USER` at once in this process, over all of their sessions
// and API tokens (a token counts for the admin who made it). Streams are only known to be
// streams once tRPC has authenticated the caller and answered with an event stream, so the
// count is taken there (server.ts, onSend) and the slot is given back when the stream ends
// (LiveStreams.track): the client left, the subscription ended, or the server closed it.

/** Counts open streams per key and refuses one over the cap. */
export class StreamLimits {
  private readonly open = new Map<string, number>();

  constructor(readonly maxPerKey: number) {}

  /** How many streams `key` holds. */
  count(key: string): number {
    return this.open.get(key) ?? 0;
  }

  /** Takes a slot for `key`: the function that gives it back (once), or null at the cap. */
  acquire(key: string): (() => void) | null {
    const held = this.count(key);
    if (held >= this.maxPerKey) return null;
    this.open.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(key) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }
}

/** Who a stream counts against: its user, or (no subscription is public today) its address. */
function ownerKey(userId: string | undefined, request: FastifyRequest): string {
  return userId === undefined ? `address:${request.ip}` : `user:${userId}`;
}

/** The per-user cap on live streams as the server applies it. */
export interface StreamGate {
  /** Notes who a subscription request's context authenticates as (call in createContext). */
  watch(request: FastifyRequest, ctx: Context): void;
  /**
   * A slot for the request's stream: the function that gives it back when the stream ends
   * (LiveStreams.track's `onEnd`), or null when its user is at the cap.
   */
  acquire(request: FastifyRequest): (() => void) | null;
  /** The 429 that replaces a stream over the cap, in the procedures' error shape. */
  refusal(): Response;
}

/** Builds the gate for `maxPerUser` streams per user (MAX_STREAMS_PER_USER). */
export function streamGate(maxPerUser: number): StreamGate {
  const limits = new StreamLimits(maxPerUser);
  const owners = new WeakMap<FastifyRequest, string>();
  const message = `Too many live streams: at most ${maxPerUser} open at once per user; close one first`;
  return {
    watch(request, ctx) {
      watchUser(ctx, (userId) => owners.set(request, userId));
    },
    acquire: (request) => limits.acquire(ownerKey(owners.get(request), request)),
    refusal: () =>
      new Response(JSON.stringify(errorBody(429, message)), {
        status: 429,
        // A slot frees when one of the user's streams closes; a client should not hammer.
        headers: { 'content-type': 'application/json', 'retry-after': '5' },
      }),
  };
}
