// What the webhook procedures and the delivery worker need from the server: a way to send
// a request that is safe to aim at a URL an admin typed in, a way to check such a URL up
// front, and the retry rules. The server builds them from its config (apps/server/src/
// webhooks/); packages never open sockets on their own.

/** One signed request to an endpoint. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  /** The JSON body, exactly as signed. */
  body: string;
}

/** What came of sending one: an answer (any status), or none (`error` says why). */
export interface WebhookResponse {
  /** The HTTP status; null when no answer came. */
  statusCode: number | null;
  /** From the start of the request until the answer's head (or the failure). */
  latencyMs: number;
  /** Why no 2xx answer came, in words (`HTTP 500`, `timed out after 10 s`, …); null on 2xx. */
  error: string | null;
  /** The start of the answer's body, decoded as UTF-8, at most 1 KB. */
  responseExcerpt: string | null;
}

/**
 * Sends a request to an address the URL rules allow (checked as it connects: a refused one
 * is a response with `error: "refused: <why>"`); never throws.
 */
export type WebhookSend = (request: WebhookRequest) => Promise<WebhookResponse>;

/** The server's webhook settings. */
export interface WebhookSettings {
  send: WebhookSend;
  /**
   * Why `url` may not be an endpoint (a message for the `url` field), or undefined when it
   * may: not https in production, resolves to a private address, … `send` applies the same
   * rules again as it connects (the address may change).
   */
  checkUrl(url: string): Promise<string | undefined>;
  /** Delays between tries of a failing event (WEBHOOK_RETRY_SCHEDULE), in ms. */
  retrySchedule: readonly number[];
  /** How long an event may keep failing before its endpoint is disabled, in ms. */
  retryWindowMs: number;
}
