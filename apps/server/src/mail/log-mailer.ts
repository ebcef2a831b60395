import type { MailMessage } from '@trellis/api';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerMailer } from './smtp-mailer.js';

/**
 * Development without SMTP_URL: every mail is written to the log (info) instead of being
 * sent, with its links in the message, so that a person can open them from the terminal.
 */
export function logMailer(log: FastifyBaseLogger): ServerMailer {
  return {
    send(message: MailMessage) {
      const { to, subject, links, text } = message;
      log.info(
        { mail: { to, subject, links, text } },
        `mail not sent (SMTP_URL is not set): "${subject}" to ${to}${links.map((link) => `\n  ${link}`).join('')}`,
      );
    },
    idle: async () => undefined,
    close: async () => undefined,
  };
}
