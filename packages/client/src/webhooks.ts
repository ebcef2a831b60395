import type { WebhookEvent } from '@trellis/api';
import { Webhook } from 'standardwebhooks';
import { webhookInvalid } from './errors.js';

// The receiving side of Trellis webhooks: the event types, written out member by member as
// the router's are (src/router.ts), so that a consumer's types carry no zod; and the check
// of a delivery's Standard Webhooks signature, by the specification's reference library.

/** A type written out member by member, so that no name in it points into the server. */
type Plain<T> = T extends object ? { [K in keyof T]: Plain<T[K]> } : T;

function plain<T>(value: T): Plain<T> {
  return value as Plain<T>;
}

// Never called: it exists for its inferred return type, which tsc writes out in full in the
// declarations (the type comes out of a call, so there is no written alias to copy), where
// `Plain<WebhookEvent>` would be written by name and lead the bundler to zod.
function webhookEvent() {
  return plain(null as unknown as WebhookEvent);
}

/**
 * Any event a webhook endpoint receives: every {@link TrellisEvent}, and `webhook.ping`
 * (sent by `webhooks.test`, never in the log; `data` is `{ webhookId }`). Told apart by
 * `type`, which narrows `data` (and `changes`).
 */
export type TrellisWebhookEvent = ReturnType<typeof webhookEvent>;

/**
 * An event of a workspace's activity log, as webhooks deliver it and `events.list` returns
 * it: `{ id, type, timestamp, workspaceId, actor, data, changes? }`. `id` is the log entry's
 * id (the delivery's `webhook-id`, the same on every retry); `data` is the API's own output
 * type for the object (a task event carries the task as `tasks.create` answers it, without
 * `tasks.get`'s parent, children and relations); `project.updated`, `state.updated`,
 * `task.updated`, `view.updated` and `member.role_changed` list the fields that changed in
 * `changes`.
 */
export type TrellisEvent = Exclude<TrellisWebhookEvent, { type: 'webhook.ping' }>;

/** A log event type: `task.created`, `task.updated`, `comment.created`, … */
export type TrellisEventType = TrellisEvent['type'];

/**
 * A request's headers as servers hand them over: Node's `req.headers` (or any plain object,
 * names in any case, a value or a list of values), or a fetch `Headers`.
 */
export type WebhookHeaders =
  | Headers
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** A request's body exactly as it arrived: the text, or its bytes (read as UTF-8). */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

const SIGNED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
type SignedHeader = (typeof SIGNED_HEADERS)[number];

/** The library's tolerance for `webhook-timestamp`, either way from this machine's clock. */
const TOLERANCE_SECONDS = 5 * 60;

function isHeaders(headers: WebhookHeaders): headers is Headers {
  return typeof (headers as Headers).get === 'function';
}

/** One header's value, whatever form and case the headers came in; undefined when absent. */
function headerOf(headers: WebhookHeaders, name: SignedHeader): string | undefined {
  if (isHeaders(headers)) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    // Several signatures are space-separated; a list means the header came more than once.
    return typeof value === 'string' ? value : value.join(' ');
  }
  return undefined;
}

function textOf(body: WebhookBody): string {
  if (typeof body === 'string') return body;
  if (!(body instanceof Uint8Array) && !(body instanceof ArrayBuffer)) {
    throw new TypeError('verifyWebhook: the body must be the raw request body (string or bytes)');
  }
  // ignoreBOM keeps a leading byte-order mark, which was signed like any other byte.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
}

function webhookOf(secret: string): Webhook {
  try {
    if (typeof secret !== 'string' || secret.trim() === '') throw new Error('no secret');
    return new Webhook(secret);
  } catch (cause) {
    throw new TypeError(
      'verifyWebhook: the secret is not a webhook signing secret (`whsec_` and base64, as webhooks.create or webhooks.rotateSecret gave it)',
      { cause },
    );
  }
}

/** What the library's refusal means for the one reading the receiver's log. */
function reasonOf(error: unknown, signed: Record<SignedHeader, string>): string {
  const said = error instanceof Error ? error.message : String(error);
  const timestamp = signed['webhook-timestamp'];
  const age = Math.floor(Date.now() / 1000) - Number.parseInt(timestamp, 10);
  switch (said) {
    case 'Invalid Signature Headers':
      return `webhook-timestamp is not a number of seconds: "${timestamp}"`;
    case 'Message timestamp too old':
      return `webhook-timestamp is ${age} s old, more than ${TOLERANCE_SECONDS} s: a replayed request, or this machine's clock is wrong`;
    case 'Message timestamp too new':
      return `webhook-timestamp is ${-age} s in the future, more than ${TOLERANCE_SECONDS} s: this machine's clock (or the sender's) is wrong`;
    case 'No matching signature found':
      return 'No signature in webhook-signature matches this secret and body: a wrong secret, a body changed on the way (verify the raw bytes, never re-serialised JSON), or a forged request';
    default:
      return `The webhook did not verify: ${said}`;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What keeps `value` from being an event sent as `id`; undefined when nothing does. */
function notAnEvent(value: unknown, id: string): string | undefined {
  if (!isRecord(value)) return 'it is not a JSON object';
  for (const key of ['id', 'type', 'timestamp', 'workspaceId'] as const) {
    if (typeof value[key] !== 'string') return `its "${key}" is not a string`;
  }
  if (!isRecord(value.data)) return 'its "data" is not an object';
  if (value.id !== id) return `its id "${value.id}" is not the webhook-id header "${id}"`;
  return undefined;
}

/**
 * Checks that a request is a delivery from Trellis signed with `secret` (Standard Webhooks:
 * the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, checked by the
 * `standardwebhooks` library; after `webhooks.rotateSecret` the old secret keeps verifying
 * for 24 hours), and returns its event, typed: switch on `event.type` to narrow `data`.
 *
 * `body` must be the raw body, the exact text or bytes received: JSON parsed and written
 * out again differs in spacing or key order and will not verify (in Express, read it with
 * `express.raw({ type: 'application/json' })`; in a fetch handler, `await request.text()`).
 * A `webhook-timestamp` more than 5 minutes from this machine's clock is refused, which
 * bounds replays; within those minutes (and on every retry) the same event can arrive
 * again: deduplicate by `event.id`, which is the `webhook-id`.
 *
 * Throws a `TrellisError` with code `WEBHOOK_INVALID` when the request is not such a
 * delivery, its message saying why (a missing header, no matching signature, a timestamp
 * too old or too new, a body that is not JSON or not an event); answer it with a 400.
 * Throws a `TypeError` when `secret` is not a signing secret (`whsec_…`): that is the
 * receiver's configuration, not the request, at fault.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: WebhookBody,
): TrellisWebhookEvent {
  const webhook = webhookOf(secret);
  const payload = textOf(body);
  const signed = {} as Record<SignedHeader, string>;
  for (const name of SIGNED_HEADERS) {
    const value = headerOf(headers, name)?.trim();
    if (!value) throw webhookInvalid(`The ${name} header is missing: not a signed webhook`);
    signed[name] = value;
  }
  try {
    webhook.verify(payload, signed, { jsonParse: false });
  } catch (error) {
    throw webhookInvalid(reasonOf(error, signed), error);
  }
  let event: unknown;
  try {
    event = JSON.parse(payload);
  } catch (error) {
    throw webhookInvalid('The body is signed but is not JSON', error);
  }
  const problem = notAnEvent(event, signed['webhook-id']);
  if (problem) throw webhookInvalid(`The body is signed but is not a Trellis event: ${problem}`);
  // The signature proves Trellis sent it; the server builds events from the same schemas
  // these types are made from.
  return event as TrellisWebhookEvent;
}
