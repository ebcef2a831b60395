import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.js';
import { logMailer } from './log-mailer.js';
import { type ServerMailer, smtpMailer } from './smtp-mailer.js';

export { logMailer } from './log-mailer.js';
export type { ServerMailer } from './smtp-mailer.js';
export { DEFAULT_RETRY_DELAYS_MS, smtpMailer } from './smtp-mailer.js';

/**
 * The mailer the configuration asks for: SMTP when SMTP_URL is set; otherwise the log in
 * development and test; none in production, where a mail that silently goes nowhere would
 * lock people out; the procedures that need mail then say so (503), and a warning at
 * start tells the operator.
 */
export function configuredMailer(
  config: Pick<ServerConfig, 'smtpUrl' | 'mailFrom' | 'nodeEnv'>,
  log: FastifyBaseLogger,
): ServerMailer | undefined {
  if (config.smtpUrl) return smtpMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log });
  if (config.nodeEnv !== 'production') return logMailer(log);
  log.warn(
    'SMTP_URL is not set: no mail can be sent, so email verification, password reset and ' +
      'email change answer 503 until it is (sign-up still works; accounts stay unverified)',
  );
  return undefined;
}
