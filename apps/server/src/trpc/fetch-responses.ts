import type { FastifyInstance } from 'fastify';
import type { LiveStreams } from '../ops/live-streams.js';
import type { StreamGate } from '../ops/stream-limits.js';
import { queryValidators } from './etag.js';
import { JSON_TYPE, mediaType } from './media.js';
import { startingWhereNamed } from './stream-start.js';

// Only tRPC's own adapter answers with a Fetch Response: subscriptions, and whatever the
// lean handler leaves to it (everything, with TRPC_HANDLER=official). These hooks give
// those answers what the lean handler's own answers have.

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.startsWith('text/event-stream') === true;
}

/**
 * An event stream gets the start its subscription named as its first event's id
 * (stream-start.ts), is admitted under its user's stream cap (or replaced by the gate's
 * 429) and tracked for closing at shutdown; errors raised before a procedure runs (bad
 * batch, missing content type), which carry a JSON body but a text/plain type, are
 * relabelled: clients parse by type.
 */
export function admitAdapterAnswers(
  scope: FastifyInstance,
  { streams, liveStreams }: { streams: StreamGate; liveStreams: LiveStreams },
): void {
  scope.addHook('onSend', (request, reply, payload, done) => {
    if (!(payload instanceof Response)) {
      done(null, payload);
      return;
    }
    if (isEventStream(payload)) {
      const stream = startingWhereNamed(payload, reply);
      streams.acquire(request).then((release) => {
        if (release === null) {
          // Over the user's cap: the stream is cancelled before it starts.
          stream.body?.cancel().catch(() => undefined);
          done(null, streams.refusal());
        } else {
          done(null, liveStreams.track(stream, release));
        }
      }, done);
      return;
    }
    if (payload.headers.get('content-type')?.startsWith('text/plain')) {
      const headers = new Headers(payload.headers);
      headers.set('content-type', JSON_TYPE);
      done(null, new Response(payload.body, { status: payload.status, headers }));
      return;
    }
    done(null, payload);
  });
}

/** A query's 200 from the adapter gets the validators of the lean handler's (etag.ts). */
export function validateAdapterQueries(scope: FastifyInstance): void {
  scope.addHook('onSend', (request, _reply, payload, done) => {
    if (!(payload instanceof Response) || request.method !== 'GET' || payload.status !== 200) {
      done(null, payload);
      return;
    }
    const type = payload.headers.get('content-type');
    if (type === null || mediaType(type) !== JSON_TYPE) {
      done(null, payload);
      return;
    }
    payload.text().then((text) => {
      const { headers, notModified } = queryValidators(request, text);
      const answer = new Headers(payload.headers);
      for (const [name, value] of Object.entries(headers)) answer.set(name, value);
      const status = notModified ? 304 : 200;
      done(null, new Response(notModified ? null : text, { status, headers: answer }));
    }, done);
  });
}
