// The account procedures' tests over real HTTP, with the real SMTP server each test server
// owns: servers whose links are built on PUBLIC_URL and whose clock a test moves, people
// signed up on them, and the tokens their mails carry.
import { afterEach } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import type { ServerDeps } from '../../src/server.js';
import { wireTo } from './http.js';
import { tokenFromLink } from './mailbox.js';
import { startTestServer, type TestServer } from './server.js';
import { type AuthResult, dataOf, PASSWORD, type Reply } from './wire.js';

export const NEW_PASSWORD = 'a brand new passphrase';
export const PUBLIC_URL = 'https://trellis.example';
export const MAIL_FROM = 'Trellis Test <noreply@trellis.example>';
export const HOUR_MS = 60 * 60 * 1000;

/** The subjects of the mails the account procedures send (a word of each is enough). */
export const subjects = {
  verify: 'Verify your email',
  reset: 'Reset your Trellis password',
  confirmChange: 'Confirm your new email',
  changeNotice: 'is being changed',
};

/**
 * Test servers on PUBLIC_URL and MAIL_FROM that read one clock this file moves, each
 * closed after the test that started it.
 */
export function mailServers() {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });
  let clockMs = Date.now();

  async function start(
    overrides: Partial<ServerConfig> = {},
    deps: Omit<ServerDeps, 'db'> = {},
  ): Promise<TestServer> {
    clockMs = Date.now();
    const server = await startTestServer(
      { publicUrl: PUBLIC_URL, mailFrom: MAIL_FROM, ...overrides },
      { clock: () => new Date(clockMs), ...deps },
    );
    servers.push(server);
    return server;
  }

  /** Moves the clock every server started here reads. */
  const advance = (ms: number) => {
    clockMs += ms;
  };

  return { start, advance };
}

/** One tRPC call over HTTP: a mutation, or a query (input `{}` when none) with `query`. */
export function call(
  server: TestServer,
  path: string,
  input: unknown,
  options: { token?: string; headers?: Record<string, string>; query?: boolean } = {},
): Promise<Reply> {
  const { query, mutate } = wireTo(server);
  const { token, headers } = options;
  return options.query
    ? query(path, input ?? {}, { token, headers })
    : mutate(path, input, { token, headers });
}

export const me = (server: TestServer, token: string) =>
  call(server, 'auth.me', undefined, { token, query: true });

let seq = 0;
/** Signs up a fresh person over HTTP; returns their email, id and session token. */
export async function signUp(server: TestServer, headers: Record<string, string> = {}) {
  seq += 1;
  const email = `person${seq}-${Date.now()}@example.com`;
  const answer = await call(
    server,
    'auth.signUp',
    { email, password: PASSWORD, name: `Person ${seq}` },
    { headers },
  );
  const { user, session } = dataOf<AuthResult>(answer);
  return { email, id: user.id, token: session.token };
}

export function signIn(server: TestServer, email: string, password: string): Promise<Reply> {
  return call(server, 'auth.signIn', { email, password });
}

/** The token of the `nth` mail with this subject to `to`. */
export async function mailedToken(server: TestServer, to: string, subject: string, nth = 0) {
  const mail = await server.mailbox.waitFor({ to, subject, nth });
  const [link] = mail.links;
  if (!link) throw new Error(`no link in ${mail.subject}`);
  return tokenFromLink(link);
}

/** Replaces the last character of a token's secret with another allowed one. */
export function tamper(token: string): string {
  const last = token.at(-1);
  return `${token.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
}
