import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, isTrellisError, type TrellisError } from './index.js';
import { type TrellisWebhookEvent, verifyWebhook, type WebhookHeaders } from './webhooks.js';

// Deliveries signed as the server signs them: by the standardwebhooks library, with a
// `whsec_` secret, over the exact body. The same over real HTTP from a real server:
// examples/test/webhook-receiver.test.ts.

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const SECRET = newSecret();

const task = {
  id: 'tsk_1',
  projectId: 'prj_1',
  workspaceId: 'wsp_1',
  number: 7,
  key: 'APP-7',
  title: 'Ship it',
};
const event = {
  id: 'evt_1',
  type: 'task.updated',
  timestamp: '2025-01-02T03:04:05.000Z',
  workspaceId: 'wsp_1',
  actor: { userId: 'usr_1', name: 'Ada' },
  data: task,
  changes: { title: { from: 'Ship', to: 'Ship it' } },
};
const BODY = JSON.stringify(event);

/** The three headers for `body`, signed by each of `secrets` at `at`. */
function signed(
  body: string,
  { secrets = [SECRET], at = new Date(), id = event.id } = {},
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}

/** The TrellisError `verify` throws (failing the test when it throws none, or another). */
function refusal(verify: () => unknown): TrellisError {
  try {
    verify();
  } catch (error) {
    if (isTrellisError(error)) return error;
    throw error;
  }
  throw new Error('verified');
}

describe('verifyWebhook', () => {
  it('returns the event of a delivery signed with the secret', () => {
    const verified: TrellisWebhookEvent = verifyWebhook(SECRET, signed(BODY), BODY);
    expect(verified).toEqual(event);
  });

  it('takes the body as a string, a Buffer, a Uint8Array or an ArrayBuffer', () => {
    const body = JSON.stringify({ ...event, data: { ...task, title: 'Déjà vu ✓' } });
    const headers = signed(body);
    const bytes = new TextEncoder().encode(body);
    for (const raw of [body, Buffer.from(body), bytes, bytes.slice().buffer]) {
      expect(verifyWebhook(SECRET, headers, raw).data).toMatchObject({ title: 'Déjà vu ✓' });
    }
  });

  it('reads headers in any case, as lists (Node) or as a fetch Headers', () => {
    const headers = signed(BODY);
    const shouted = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]),
    );
    const listed = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, [value]]),
    );
    const variants: WebhookHeaders[] = [shouted, listed, new Headers(headers)];
    for (const variant of variants) expect(verifyWebhook(SECRET, variant, BODY).id).toBe('evt_1');
  });

  it('verifies with either secret while two sign (after a rotation)', () => {
    const previous = newSecret();
    const headers = signed(BODY, { secrets: [SECRET, previous] });
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(verifyWebhook(SECRET, headers, BODY).id).toBe('evt_1');
    expect(verifyWebhook(previous, headers, BODY).id).toBe('evt_1');
    const error = refusal(() => verifyWebhook(newSecret(), headers, BODY));
    expect(error.code).toBe('WEBHOOK_INVALID');
  });

  it('refuses a changed body, a re-serialised body and a wrong secret: no signature matches', () => {
    const headers = signed(BODY);
    const pretty = JSON.stringify(event, null, 2);
    const changed = BODY.replace('Ship it', 'Ship it now');
    for (const [secret, body] of [
      [SECRET, changed],
      [SECRET, pretty],
      [newSecret(), BODY],
    ] as const) {
      const error = refusal(() => verifyWebhook(secret, headers, body));
      expect(error.code).toBe('WEBHOOK_INVALID');
      expect(error.message).toMatch(/^No signature in webhook-signature matches/);
      expect(error.status).toBeUndefined();
      expect(error.cause).toMatchObject({ name: 'WebhookVerificationError' });
    }
  });

  it('refuses a timestamp more than 5 minutes old or ahead, even rightly signed', () => {
    const old = signed(BODY, { at: new Date(Date.now() - 6 * 60_000) });
    expect(refusal(() => verifyWebhook(SECRET, old, BODY)).message).toMatch(
      /^webhook-timestamp is 36\d s old, more than 300 s: a replayed request/,
    );
    const ahead = signed(BODY, { at: new Date(Date.now() + 6 * 60_000) });
    expect(refusal(() => verifyWebhook(SECRET, ahead, BODY)).message).toMatch(
      /^webhook-timestamp is 3[56]\d s in the future/,
    );
    const recent = signed(BODY, { at: new Date(Date.now() - 4 * 60_000) });
    expect(verifyWebhook(SECRET, recent, BODY).id).toBe('evt_1');
    const garbled = { ...signed(BODY), 'webhook-timestamp': 'yesterday' };
    expect(refusal(() => verifyWebhook(SECRET, garbled, BODY)).message).toBe(
      'webhook-timestamp is not a number of seconds: "yesterday"',
    );
  });

  it('names the missing header', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const headers: Record<string, string | undefined> = { ...signed(BODY), [name]: undefined };
      const error = refusal(() => verifyWebhook(SECRET, headers, BODY));
      expect([error.code, error.message]).toEqual([
        'WEBHOOK_INVALID',
        `The ${name} header is missing: not a signed webhook`,
      ]);
    }
    expect(refusal(() => verifyWebhook(SECRET, new Headers(), BODY)).message).toMatch(
      /webhook-id header is missing/,
    );
  });

  it('refuses a signed body that is not JSON, or not an event', () => {
    const cases: [string, string][] = [
      ['', 'The body is signed but is not JSON'],
      ['{"id":', 'The body is signed but is not JSON'],
      ['[]', 'The body is signed but is not a Trellis event: it is not a JSON object'],
      [
        JSON.stringify({ ...event, type: 7 }),
        'The body is signed but is not a Trellis event: its "type" is not a string',
      ],
      [
        JSON.stringify({ ...event, data: null }),
        'The body is signed but is not a Trellis event: its "data" is not an object',
      ],
      [
        JSON.stringify({ ...event, id: 'evt_2' }),
        'The body is signed but is not a Trellis event: its id "evt_2" is not the webhook-id header "evt_1"',
      ],
    ];
    for (const [body, message] of cases) {
      const error = refusal(() => verifyWebhook(SECRET, signed(body), body));
      expect([error.code, error.message]).toEqual(['WEBHOOK_INVALID', message]);
    }
  });

  it('throws a TypeError for a secret that is none: the receiver is misconfigured', () => {
    for (const secret of ['', 'whsec_', 'whsec_not base64!']) {
      expect(() => verifyWebhook(secret, signed(BODY), BODY)).toThrow(TypeError);
    }
  });

  it('uses a client error code listed with the others', () => {
    expect(CLIENT_ERROR_CODES).toContain('WEBHOOK_INVALID');
  });
});
