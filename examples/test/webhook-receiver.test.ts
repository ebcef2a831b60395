import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/server/src/config.js';
import { startTestServer, type TestServer } from './server.js';
import { signUpWithProject } from './users.js';

// examples/webhook-receiver.ts as its reader runs it (tsx, @trellis/client from source),
// receiving what a real server sends: the server signs with the secret webhooks.create gave
// and POSTs to 127.0.0.1 (allowed by WEBHOOK_ALLOW_PRIVATE, as on-premise setups allow it).

const examplesDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
/** How long a line the test expects may take to come (a retry is 5 s away at the earliest). */
const LINE_WAIT_MS = 20_000;

/** The receiver, started, and the lines it printed. */
interface Receiver {
  url: string;
  lines: string[];
  /** Resolves with the first line from `from` on that matches (waiting for it to come). */
  line(pattern: RegExp, from?: number): Promise<string>;
  stop(): Promise<void>;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const child: ChildProcess = spawn(
    tsx,
    ['--conditions=@trellis/source', `${examplesDir}webhook-receiver.ts`, '0'],
    {
      cwd: examplesDir,
      env: { ...process.env, TRELLIS_WEBHOOK_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let output = '';
  let partial = '';
  const waiting = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiting) wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  function line(pattern: RegExp, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      // Only a bound on a failing test, which then says what the receiver printed instead.
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`no line ${pattern} within ${LINE_WAIT_MS} ms; printed:\n${output}`));
      }, LINE_WAIT_MS);
      const check = () => {
        const found = lines.slice(from).find((text) => pattern.test(text));
        if (found === undefined) return;
        clearTimeout(timer);
        waiting.delete(check);
        resolve(found);
      };
      waiting.add(check);
      check();
      exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the receiver exited:\n${output}`));
      });
    });
  }

  const listening = await line(/^listening on /);
  return {
    url: listening.replace('listening on ', ''),
    lines,
    line,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let server: TestServer;
let receiver: Receiver | undefined;
beforeAll(async () => {
  server = await startTestServer({
    webhooks: loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).webhooks,
  });
});
afterAll(async () => {
  await receiver?.stop();
  await server?.close();
});

describe('examples/webhook-receiver.ts', () => {
  it('prints each typed event once, answers a redelivery as a duplicate, refuses a forgery', async () => {
    const { client, user, workspace, project } = await signUpWithProject(server.url);
    // The secret comes with the endpoint; the endpoint's URL with the started receiver.
    const created = await client.webhooks.create.mutate({
      workspaceId: workspace.id,
      url: 'http://127.0.0.1:9/not-yet',
      description: 'the example receiver',
    });
    expect(created.secret).toMatch(/^whsec_/);
    receiver = await startReceiver(created.secret);
    await client.webhooks.update.mutate({ webhookId: created.id, url: receiver.url });

    await client.webhooks.test.mutate({ webhookId: created.id });
    await receiver.line(new RegExp(`^webhook\\.ping ${created.id}$`));

    const task = await client.tasks.create.mutate({ projectId: project.id, title: 'Ship it' });
    await receiver.line(/^task\.created APP-1: Ship it$/);
    await client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: task.version,
      patch: { title: 'Ship it today' },
    });
    await receiver.line(/^task\.updated APP-1: title changed$/);
    await client.comments.create.mutate({ taskId: task.id, body: 'On it' });
    await receiver.line(/^comment\.created /);

    // Sent again on request: the same event id, which the receiver has handled.
    const { items } = await client.webhooks.deliveries.query({ webhookId: created.id });
    const first = items.find((delivery) => delivery.eventType === 'task.created');
    if (!first) throw new Error(`no task.created delivery in ${JSON.stringify(items)}`);
    const before = receiver.lines.length;
    await client.webhooks.redeliver.mutate({ deliveryId: first.id });
    await receiver.line(new RegExp(`^duplicate ${first.eventId}$`), before);

    // Signed, but with another secret: refused, and not printed as an event.
    const forged = await fetch(receiver.url, {
      method: 'POST',
      headers: forgedHeaders(first.eventId),
      body: '{"id":"evt_forged"}',
    });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/^No signature in webhook-signature matches/);
    await receiver.line(/^refused: No signature/);

    expect(receiver.lines).toEqual([
      `listening on ${receiver.url}`,
      `webhook.ping ${created.id}`,
      'task.created APP-1: Ship it',
      'task.updated APP-1: title changed',
      `comment.created on ${task.id} by ${user.name}`,
      `duplicate ${first.eventId}`,
      expect.stringMatching(/^refused: No signature in webhook-signature matches/),
    ]);
  }, 60_000);
});

/** Standard Webhooks headers whose signature no secret of the endpoint made. */
function forgedHeaders(id: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = randomBytes(32).toString('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}
