import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

// Deliveries are signed as the Standard Webhooks specification says, by its reference
// library: `webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per
// secret in force (after a rotation the previous secret signs too, space-separated), so a
// receiver that still holds the old secret keeps verifying while it switches.

/** A new signing secret: `whsec_` and 24 random bytes in base64 (the spec's format). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The Standard Webhooks headers for one attempt to send `body` as event `id`. */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  at: Date,
  body: string,
): Record<string, string> {
  // The header counts whole seconds, and the signature covers that same number.
  const timestamp = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp.getTime() / 1000),
    'webhook-signature': secrets
      .map((secret) => new Webhook(secret).sign(id, timestamp, body))
      .join(' '),
  };
}
