import type { WebhookResponse, WebhookSettings } from '../webhooks/settings.js';

// The api package's tests send webhooks with plain fetch to real sockets on 127.0.0.1
// (the server's sender, with its address rules, is apps/server/src/webhooks/). A URL is
// refused here only when it is not http(s): the rules themselves are the server's to test.

/** Sends over fetch: no redirects, 5 s at most, 1 KB of the answer kept (whole characters). */
async function send(request: {
  url: string;
  headers: Record<string, string>;
  body: string;
}): Promise<WebhookResponse> {
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json' },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    const bytes = new Uint8Array(await response.arrayBuffer()).subarray(0, 1024);
    const text = new TextDecoder().decode(bytes, { stream: true });
    const ok = response.status >= 200 && response.status < 300;
    return {
      statusCode: response.status,
      latencyMs: Math.round(performance.now() - started),
      error: ok ? null : `HTTP ${response.status}`,
      responseExcerpt: text,
    };
  } catch (error) {
    return {
      statusCode: null,
      latencyMs: Math.round(performance.now() - started),
      error: (error as Error).message,
      responseExcerpt: null,
    };
  }
}

/** Webhook settings for the api package's tests (short retries). */
export const testWebhookSettings: WebhookSettings = {
  send,
  async checkUrl(url) {
    try {
      const { protocol } = new URL(url);
      return protocol === 'http:' || protocol === 'https:' ? undefined : 'Must be an http(s) URL';
    } catch {
      return 'Must be an absolute URL';
    }
  },
  retrySchedule: [50, 100, 200],
  retryWindowMs: 60_000,
};

/** A URL nothing listens on (the discard port): sends fail at once with "refused". */
export const CLOSED_URL = 'http://127.0.0.1:9/hook';
