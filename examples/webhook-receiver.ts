import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isTrellisError, type TrellisWebhookEvent, verifyWebhook } from '@trellis/client';

// A webhook endpoint: Trellis POSTs each event of the workspace here, signed with the
// secret webhooks.create gave. Run it with that secret and a port:
//   TRELLIS_WEBHOOK_SECRET=whsec_… tsx webhook-receiver.ts 4000
// Prints one line per event; answers 204 to every event it took, 400 to a request that is
// not a signed Trellis event (Trellis retries anything but a 2xx, so a 5xx from a bug here
// delays events without losing them).

const secret = process.env.TRELLIS_WEBHOOK_SECRET ?? '';
const port = Number(process.argv[2] ?? process.env.PORT ?? 4000);
const host = process.env.HOST ?? '127.0.0.1';
if (!secret.startsWith('whsec_')) {
  console.error('Set TRELLIS_WEBHOOK_SECRET to the secret webhooks.create gave (whsec_…)');
  process.exit(1);
}
/** Trellis's events are a few KB; anything far bigger is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

// Delivery is at least once: a retry after a lost answer, or a redelivery, brings an event
// again with the same id. Kept in memory here; a real receiver records the ids it handled
// with what it did about them (one transaction), so a restart forgets none.
const handled = new Set<string>();

function describe(event: TrellisWebhookEvent): string {
  // `type` narrows `data`: a task for task events, a comment for comment events, …
  switch (event.type) {
    case 'task.created':
    case 'task.deleted':
      return `${event.type} ${event.data.key}: ${event.data.title}`;
    case 'task.updated':
      return `${event.type} ${event.data.key}: ${Object.keys(event.changes).join(', ')} changed`;
    case 'comment.created':
      return `${event.type} on ${event.data.taskId} by ${event.data.authorName ?? 'someone'}`;
    case 'member.joined':
    case 'member.role_changed':
      return `${event.type} ${event.data.name} (${event.data.role})`;
    case 'webhook.ping':
      return `${event.type} ${event.data.webhookId}`;
    default:
      return `${event.type} by ${event.actor?.name ?? 'nobody'}`;
  }
}

/** The request's raw bytes (the signature covers the body exactly as sent); null if too big. */
async function rawBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function receive(request: IncomingMessage, response: ServerResponse) {
  if (request.method !== 'POST') {
    response.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const body = await rawBody(request);
  if (body === null) {
    response.writeHead(413, { connection: 'close' }).end();
    return;
  }
  let event: TrellisWebhookEvent;
  try {
    event = verifyWebhook(secret, request.headers, body);
  } catch (error) {
    if (!isTrellisError(error)) throw error;
    console.log(`refused: ${error.message}`);
    response.writeHead(400, { 'content-type': 'text/plain' }).end(error.message);
    return;
  }
  if (handled.has(event.id)) {
    console.log(`duplicate ${event.id}`);
  } else {
    handled.add(event.id);
    console.log(describe(event));
  }
  response.writeHead(204).end();
}

const server = createServer((request, response) => {
  receive(request, response).catch((error: unknown) => {
    console.error(error);
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
});

server.listen(port, host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  console.log(`listening on http://${host}:${bound}`);
});
process.once('SIGTERM', () => server.close());
