// A real SMTP server on 127.0.0.1 for tests (the `smtp-server` package), which keeps every
// message it receives, parsed with `mailparser`. Tests point the Trellis server's
// SMTP_URL at it and read the mails a person would get.
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One received message, as a person's mail program would show it. */
export interface ReceivedMail {
  /** The envelope's recipients (lowercased). */
  to: string[];
  /** The envelope's sender. */
  from: string;
  /** The From header as written. */
  fromHeader: string;
  subject: string;
  text: string;
  html: string;
  /** Every http(s) link in the plain-text part, in order. */
  links: string[];
  /** The raw message, for assertions on headers. */
  raw: string;
}

/** What a test waits for: a recipient, and optionally a subject that must contain a word. */
export interface MailQuery {
  to: string;
  subject?: string | RegExp;
  /** Which matching mail: 0 (the default) is the first to arrive, 1 the second, … */
  nth?: number;
}

/** The in-process SMTP server and the mails it has received. */
export interface Mailbox {
  /** `smtp://user:pass@127.0.0.1:port`, for SMTP_URL. */
  url: string;
  /** Every mail received so far, oldest first. */
  readonly mails: readonly ReceivedMail[];
  /** The mails received for one address, oldest first. */
  mailsTo(address: string): ReceivedMail[];
  /** Waits for the first mail matching `query` (rejects after `timeoutMs`, 15 s by default). */
  waitFor(query: MailQuery, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const USER = 'trellis';
const PASSWORD = 'test-smtp-password';

function matches(mail: ReceivedMail, query: MailQuery): boolean {
  if (!mail.to.includes(query.to.toLowerCase())) return false;
  if (query.subject === undefined) return true;
  return typeof query.subject === 'string'
    ? mail.subject.includes(query.subject)
    : query.subject.test(mail.subject);
}

/** Starts an SMTP server on a random loopback port that requires the test credentials. */
export async function startMailbox(): Promise<Mailbox> {
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    // Plain SMTP with AUTH PLAIN/LOGIN on loopback: what `smtp://user:pass@host` means.
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) {
        callback(null, { user: USER });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const text = parsed.text ?? '';
            mails.push({
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              fromHeader: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text,
              html: typeof parsed.html === 'string' ? parsed.html : '',
              links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [],
              raw: raw.toString('utf8'),
            });
            for (const wake of waiters) wake();
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://${USER}:${PASSWORD}@127.0.0.1:${port}`,
    mails,
    mailsTo: (address) => mails.filter((mail) => mail.to.includes(address.toLowerCase())),
    waitFor(query, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = mails.filter((mail) => matches(mail, query))[query.nth ?? 0];
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none';
          reject(
            new Error(
              `No mail for ${JSON.stringify(query)} in ${timeoutMs} ms (received: ${seen})`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token in a Trellis mail link (`…#token=…` or `…?token=…`). */
export function tokenFromLink(link: string): string {
  const url = new URL(link);
  const token =
    new URLSearchParams(url.hash.replace(/^#/, '')).get('token') ?? url.searchParams.get('token');
  if (!token) throw new Error(`No token in ${link}`);
  return token;
}
