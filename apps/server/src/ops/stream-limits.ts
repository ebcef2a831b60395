import {
  acquireStreamLease,
  type Context,
  deleteExpiredStreamLeases,
  releaseStreamLeases,
  renewStreamLeases,
} from '@trellis/api';
import type { Database, Kysely } from '@trellis/db';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { errorBody } from '../errors.js';
import { watchUser } from './request-user.js';

// A live stream (tasks.onChange over SSE) holds a connection, a poll timer and a database
// read per second for as long as its client stays. One user opening hundreds of them (a
// buggy tab reopening in a loop, or on purpose) would take those from everyone, so each
// user may hold `MAX_STREAMS_PER_USER` at once, over all of their sessions and API tokens
// (a token counts for the admin who made it) and over every server process: each open
// stream holds a lease in the database (queries/stream-leases.ts in @trellis/api), which
// its process renews while the stream stays open, so the slots of a process that died
// come back when its leases expire. Streams are only known to be streams once tRPC has
// authenticated the caller and answered with an event stream, so the slot is taken there
// (trpc/fetch-responses.ts, onSend) and given back when the stream ends
// (LiveStreams.track): the client left, the subscription ended, or the server closed it.

/** How long a stream's lease lasts without renewal: a dead process's slots free by then. */
export const STREAM_LEASE_TTL_MS = 30_000;

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
function keyOf(userId: string | undefined, request: FastifyRequest): string {
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
  acquire(request: FastifyRequest): Promise<(() => void) | null>;
  /** The 429 that replaces a stream over the cap, in the procedures' error shape. */
  refusal(): Response;
  /** Stops renewing and gives back every slot still held (when the server closes). */
  close(): Promise<void>;
}

/** What the gate counts with. */
export interface StreamGateOptions {
  db: Kysely<Database>;
  now(): Date;
  /** MAX_STREAMS_PER_USER. */
  maxPerUser: number;
  /** Where failures of the lease statements are told. */
  log: FastifyBaseLogger;
  /** How long a lease lasts unless renewed (renewed every third of it). */
  leaseTtlMs?: number;
}

/** Builds the gate for `maxPerUser` streams per user over every process (MAX_STREAMS_PER_USER). */
export function streamGate({
  db,
  now,
  maxPerUser,
  log,
  leaseTtlMs = STREAM_LEASE_TTL_MS,
}: StreamGateOptions): StreamGate {
  // This process's own count: a refusal without a database round trip, and the cap that
  // still holds if the database fails to take a lease.
  const limits = new StreamLimits(maxPerUser);
  const owners = new WeakMap<FastifyRequest, string>();
  /** The leases of this process's open streams. */
  const held = new Set<string>();
  /** Lease statements under way, which closing waits for. */
  const pending = new Set<Promise<void>>();
  let closed = false;
  const message = `Too many live streams: at most ${maxPerUser} open at once per user; close one first`;

  /** Notes a statement under way; its failure is the caller's to tell. */
  const track = (statement: Promise<unknown>) => {
    const done = statement.then(
      () => undefined,
      () => undefined,
    );
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  /** Notes a statement nobody waits for, and tells its failure. */
  const settle = (statement: Promise<void>, what: string) =>
    track(statement.catch((error: unknown) => log.warn({ err: error }, what)));
  const renew = async () => {
    const at = now();
    await renewStreamLeases(db, [...held], new Date(at.getTime() + leaseTtlMs));
    await deleteExpiredStreamLeases(db, at);
  };
  let renewing = false;
  const renewal = setInterval(() => {
    // A renewal still under way (a slow database) is not joined by another.
    if (held.size === 0 || renewing) return;
    renewing = true;
    settle(
      renew().finally(() => {
        renewing = false;
      }),
      'stream leases not renewed',
    );
  }, leaseTtlMs / 3).unref();

  return {
    watch(request, ctx) {
      watchUser(ctx, (userId) => owners.set(request, userId));
    },
    async acquire(request) {
      const ownerKey = keyOf(owners.get(request), request);
      const local = limits.acquire(ownerKey);
      if (local === null || closed) {
        local?.();
        return null;
      }
      const taking = acquireStreamLease(db, {
        ownerKey,
        max: maxPerUser,
        now: now(),
        ttlMs: leaseTtlMs,
      });
      track(taking);
      let id: string | null;
      try {
        id = await taking;
      } catch (error) {
        // The stream reads the same database: if it fails here, the stream will soon end
        // anyway, and meanwhile this process's own count keeps the cap.
        request.log.warn({ err: error }, 'stream lease not taken; counted in this process only');
        return local;
      }
      if (id === null || closed) {
        if (id !== null) settle(releaseStreamLeases(db, [id]), 'stream lease not released');
        local();
        return null;
      }
      const lease = id;
      held.add(lease);
      return () => {
        // Once closing, close() gives back what is still held.
        if (closed || !held.delete(lease)) return;
        local();
        settle(releaseStreamLeases(db, [lease]), 'stream lease not released');
      };
    },
    refusal: () =>
      new Response(JSON.stringify(errorBody(429, message)), {
        status: 429,
        // A slot frees when one of the user's streams closes; a client should not hammer.
        headers: { 'content-type': 'application/json', 'retry-after': '5' },
      }),
    async close() {
      closed = true;
      clearInterval(renewal);
      while (pending.size > 0) await Promise.all(pending);
      const left = [...held];
      held.clear();
      if (left.length > 0) {
        await releaseStreamLeases(db, left).catch((error: unknown) =>
          log.warn({ err: error }, 'stream leases not released; they expire'),
        );
      }
    },
  };
}
