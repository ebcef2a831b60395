import type { WebhookSettings } from '@trellis/api';
import type { ServerConfig } from '../config.js';
import { createWebhookSender } from './send.js';
import {
  checkTargetUrl,
  type Resolve,
  resolveWithSystem,
  type TargetPolicy,
} from './url-policy.js';

/** The webhook settings the server hands the procedures and the delivery worker. */
export interface ServerWebhookSettings extends WebhookSettings {
  /** Closes the sender's kept-alive connections (at shutdown; they never hold the process). */
  close(): void;
}

/**
 * The settings from the server's config: https only in production, private addresses only
 * with WEBHOOK_ALLOW_PRIVATE, WEBHOOK_RETRY_SCHEDULE / _WINDOW / _TIMEOUT_MS. `resolve`
 * replaces the system's DNS (tests of names that resolve to given addresses).
 */
export function webhookSettings(
  config: Pick<ServerConfig, 'nodeEnv' | 'webhooks'>,
  resolve: Resolve = resolveWithSystem,
): ServerWebhookSettings {
  const policy: TargetPolicy = {
    httpsOnly: config.nodeEnv === 'production',
    allowPrivate: config.webhooks.allowPrivate,
  };
  const sender = createWebhookSender({ policy, timeoutMs: config.webhooks.timeoutMs, resolve });
  return {
    send: sender.send,
    checkUrl: (url) => checkTargetUrl(url, policy, resolve, config.webhooks.timeoutMs),
    retrySchedule: config.webhooks.retrySchedule,
    retryWindowMs: config.webhooks.retryWindowMs,
    close: sender.close,
  };
}
