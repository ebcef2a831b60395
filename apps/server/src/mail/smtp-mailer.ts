import type { Mailer, MailMessage } from '@trellis/api';
import type { FastifyBaseLogger } from 'fastify';
import { createTransport } from 'nodemailer';

// Delivery through an SMTP server (SMTP_URL), in the background: procedures queue a mail
// and answer at once; this retries what fails for a passing reason and logs what cannot
// be delivered. A pooled transport keeps a few connections open, so a burst of sign-ups
// does not open a connection per mail.

/** The waits between attempts: four attempts over about a minute. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 10_000, 45_000];
/** Mails waiting at once beyond this are dropped (and logged): memory stays bounded. */
const MAX_QUEUED = 1_000;

/** A mailer the server owns: it can tell when the queue is empty, and be closed. */
export interface ServerMailer extends Mailer {
  /** Resolves once every mail queued so far was delivered or given up on. */
  idle(): Promise<void>;
  /** Stops retrying, waits for mails being sent, and closes the connections. */
  close(): Promise<void>;
}

/** SMTP reply codes 5xx say the mail will never be accepted: retrying is pointless. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** A mailer that delivers through the SMTP server at `smtpUrl`, from `from`. */
export function smtpMailer(options: {
  smtpUrl: string;
  from: string;
  log: FastifyBaseLogger;
  retryDelaysMs?: readonly number[];
}): ServerMailer {
  const { from, log, retryDelaysMs = DEFAULT_RETRY_DELAYS_MS } = options;
  const transport = createTransport({
    pool: true,
    maxConnections: 3,
    url: options.smtpUrl,
    // Fail an unreachable or silent server in seconds, so that retries can happen.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  const pending = new Set<Promise<void>>();
  const sleepers = new Set<() => void>();
  let closing = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  async function deliver(message: MailMessage): Promise<void> {
    const about = { mail: { to: message.to, subject: message.subject } };
    for (let attempt = 0; ; attempt += 1) {
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        log.info(about, 'mail sent');
        return;
      } catch (error) {
        const delay = retryDelaysMs[attempt];
        if (delay === undefined || closing || isPermanent(error)) {
          log.error({ ...about, err: error, attempts: attempt + 1 }, 'mail could not be sent');
          return;
        }
        log.warn({ ...about, err: error }, `mail failed; retrying in ${delay} ms`);
        await sleep(delay);
        if (closing) {
          log.error(
            { ...about, attempts: attempt + 1 },
            'mail dropped: the server is shutting down',
          );
          return;
        }
      }
    }
  }

  return {
    send(message) {
      if (closing || pending.size >= MAX_QUEUED) {
        log.error(
          { mail: { to: message.to, subject: message.subject } },
          closing ? 'mail dropped: the server is shutting down' : 'mail dropped: the queue is full',
        );
        return;
      }
      const delivery = deliver(message).finally(() => pending.delete(delivery));
      pending.add(delivery);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      closing = true;
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled([...pending]);
      transport.close();
    },
  };
}
