import type { AddressInfo } from 'node:net';
import type { MailMessage } from '@trellis/api';
import Fastify from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { loggerOptions } from '../ops/logging.js';
import { smtpMailer } from './smtp-mailer.js';

// Delivery against a real SMTP server that refuses on purpose: a passing refusal (4xx) is
// retried until the mail goes through; a final one (5xx) is logged once and not retried.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An SMTP server whose answer to each recipient `verdict` decides (by attempt number). */
async function refusingServer(verdict: (attempt: number) => { code: number; text: string } | null) {
  let attempts = 0;
  const delivered: string[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      attempts += 1;
      const refusal = verdict(attempts);
      if (!refusal) return callback();
      const error = Object.assign(new Error(refusal.text), { responseCode: refusal.code });
      return callback(error);
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        delivered.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, delivered, attempts: () => attempts };
}

function capturedLogger() {
  const lines: { level: number; msg: string; attempts?: number }[] = [];
  const app = Fastify({
    logger: loggerOptions('info', { write: (line) => void lines.push(JSON.parse(line)) }),
  });
  closers.push(() => app.close());
  return { log: app.log, lines };
}

const message: MailMessage = {
  to: 'ada@example.com',
  subject: 'Hello',
  text: 'Hello Ada',
  html: '<p>Hello Ada</p>',
  links: [],
};

describe('smtpMailer', () => {
  it('retries a mail the server refuses for now (451), and it arrives', async () => {
    const smtp = await refusingServer((attempt) =>
      attempt <= 2 ? { code: 451, text: 'Try again later' } : null,
    );
    const { log, lines } = capturedLogger();
    const mailer = smtpMailer({
      smtpUrl: smtp.url,
      from: 'x@example.com',
      log,
      retryDelaysMs: [20, 20, 20],
    });
    closers.push(() => mailer.close());
    mailer.send(message);
    await mailer.idle();
    expect(smtp.delivered).toEqual(['ada@example.com']);
    expect(smtp.attempts()).toBe(3);
    expect(
      lines.filter((line) => line.level === 40 && line.msg.startsWith('mail failed')),
    ).toHaveLength(2);
    expect(lines.some((line) => line.level === 30 && line.msg === 'mail sent')).toBe(true);
  });

  it('gives up at once on a final refusal (550) and logs it as an error', async () => {
    const smtp = await refusingServer(() => ({ code: 550, text: 'No such user' }));
    const { log, lines } = capturedLogger();
    const mailer = smtpMailer({
      smtpUrl: smtp.url,
      from: 'x@example.com',
      log,
      retryDelaysMs: [20, 20, 20],
    });
    closers.push(() => mailer.close());
    mailer.send(message);
    await mailer.idle();
    expect(smtp.delivered).toEqual([]);
    expect(smtp.attempts()).toBe(1);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'mail could not be sent', attempts: 1 });
  });

  it('stops after the last retry when the server keeps refusing', async () => {
    const smtp = await refusingServer(() => ({ code: 421, text: 'Busy' }));
    const { log, lines } = capturedLogger();
    const mailer = smtpMailer({
      smtpUrl: smtp.url,
      from: 'x@example.com',
      log,
      retryDelaysMs: [10, 10],
    });
    closers.push(() => mailer.close());
    mailer.send(message);
    await mailer.idle();
    expect(smtp.attempts()).toBe(3);
    expect(lines.filter((line) => line.level === 50)).toHaveLength(1);
  });

  it('closes without waiting out a retry, logging the mail it drops', async () => {
    const smtp = await refusingServer(() => ({ code: 421, text: 'Busy' }));
    const { log, lines } = capturedLogger();
    const mailer = smtpMailer({
      smtpUrl: smtp.url,
      from: 'x@example.com',
      log,
      retryDelaysMs: [60_000],
    });
    mailer.send(message);
    await expect.poll(() => lines.some((line) => line.msg.startsWith('mail failed'))).toBe(true);
    const started = performance.now();
    await mailer.close();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(smtp.attempts()).toBe(1);
    expect(lines.filter((line) => line.level === 50).map((line) => line.msg)).toEqual([
      'mail dropped: the server is shutting down',
    ]);
    mailer.send(message);
    expect(lines.at(-1)?.msg).toBe('mail dropped: the server is shutting down');
  });
});
