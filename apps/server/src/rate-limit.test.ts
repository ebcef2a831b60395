import { DEFAULT_RATE_LIMITS, type RateLimits } from '@trellis/auth';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from './config.js';
import { startTestServer, type TestServer } from './test/server.js';

// Rate limits over real HTTP: the answers clients see (429 + Retry-After), the shared
// counters in the database, and which address a request is counted against.

const PASSWORD = 'correct horse battery staple';
const TEN_MINUTES_MS = 10 * 60 * 1000;

let server: TestServer | undefined;
let clockMs = Date.now();

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides: Partial<ServerConfig> = {}, limits: Partial<RateLimits> = {}) {
  clockMs = Date.now();
  server = await startTestServer(
    { rateLimits: { ...DEFAULT_RATE_LIMITS, ...limits }, ...overrides },
    { clock: () => new Date(clockMs) },
  );
  return server;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

async function post(
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  if (!server) throw new Error('server not started');
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(input),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  };
}

let emailCounter = 0;
async function signUp(headers: Record<string, string> = {}) {
  emailCounter += 1;
  const email = `limited${emailCounter}@example.com`;
  const answer = await post('auth.signUp', { email, password: PASSWORD, name: 'Lim' }, headers);
  return { email, answer };
}

function signIn(email: string, password: string, headers: Record<string, string> = {}) {
  return post('auth.signIn', { email, password }, headers);
}

describe('sign-in attempts per account', () => {
  it('answers 40 wrong passwords with 401 ten times, then 429 with Retry-After; the right password works after the window', async () => {
    await start();
    const { email } = await signUp();

    const answers: Answer[] = [];
    for (let i = 0; i < 40; i += 1) answers.push(await signIn(email, `wrong password ${i}`));

    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(401));
    expect(answers.slice(10).map((a) => a.status)).toEqual(Array(30).fill(429));
    for (const limited of answers.slice(10)) {
      const seconds = Number(limited.retryAfter);
      expect(Number.isInteger(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(600);
      expect(limited.body).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS' } } });
    }
    expect(answers[0]?.retryAfter).toBeNull();
    // While the account is locked, even the right password waits: guessing stays useless.
    expect((await signIn(email, PASSWORD)).status).toBe(429);

    clockMs += TEN_MINUTES_MS;
    const after = await signIn(email, PASSWORD);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ result: { data: { user: { email } } } });
  });

  it('forgets earlier failures after a successful sign-in', async () => {
    await start();
    const { email } = await signUp();
    for (let i = 0; i < 9; i += 1) expect((await signIn(email, 'wrong password')).status).toBe(401);

    expect((await signIn(email, PASSWORD)).status).toBe(200);

    for (let i = 0; i < 10; i += 1)
      expect((await signIn(email, 'wrong password')).status).toBe(401);
    expect((await signIn(email, 'wrong password')).status).toBe(429);
  });

  it('counts an unknown email like a known one, so the answers do not reveal which exists', async () => {
    await start();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      statuses.push((await signIn('nobody@example.com', 'wrong password')).status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
  });

  it('shares the counter between requests to the same account in any letter case', async () => {
    await start();
    const { email } = await signUp();
    for (let i = 0; i < 10; i += 1) await signIn(i % 2 ? email.toUpperCase() : email, 'wrong');
    expect((await signIn(email.toUpperCase(), PASSWORD)).status).toBe(429);
  });
});

describe('sign-in attempts per client address', () => {
  const perIp = { signInPerIp: { limit: 5, windowMs: TEN_MINUTES_MS } };

  it('limits failures across accounts from one address', async () => {
    await start({}, perIp);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await signIn(`someone${i}@example.com`, 'wrong password')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set, so clients cannot pick their address', async () => {
    await start({}, perIp);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const spoofed = { 'x-forwarded-for': `203.0.113.${i}` };
      statuses.push((await signIn(`someone${i}@example.com`, 'wrong', spoofed)).status);
    }
    expect(statuses.at(-1)).toBe(429);
  });

  it('counts each forwarded client separately behind a trusted proxy', async () => {
    await start({ trustProxy: ['127.0.0.1'] }, perIp);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const forwarded = { 'x-forwarded-for': `203.0.113.${i}` };
      statuses.push((await signIn(`someone${i}@example.com`, 'wrong', forwarded)).status);
    }
    expect(statuses).toEqual(Array(6).fill(401));

    // The same forwarded client is still limited.
    const one = { 'x-forwarded-for': '198.51.100.7' };
    const again: number[] = [];
    for (let i = 0; i < 6; i += 1) again.push((await signIn(`x${i}@example.com`, 'w', one)).status);
    expect(again).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('sign-up and invites', () => {
  it('limits sign-ups per client address, and writes nothing for a refused one', async () => {
    const { db } = await start({}, { signUpPerIp: { limit: 3, windowMs: 60 * 60 * 1000 } });
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push((await signUp()).answer);

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(Number(answers[3]?.retryAfter)).toBeGreaterThan(0);
    const users = await db.selectFrom('users').select('id').execute();
    expect(users).toHaveLength(3);
  });

  it('limits invitations per workspace', async () => {
    await start({}, { invitesPerWorkspace: { limit: 2, windowMs: 60 * 60 * 1000 } });
    const { answer } = await signUp();
    const token = (answer.body as { result: { data: { session: { token: string } } } }).result.data
      .session.token;
    const auth = { authorization: `Bearer ${token}` };
    const created = await post('workspaces.create', { name: 'Acme', slug: 'acme' }, auth);
    const workspaceId = (created.body as { result: { data: { id: string } } }).result.data.id;

    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const invite = { workspaceId, email: `guest${i}@example.com`, role: 'member' };
      statuses.push((await post('members.invite', invite, auth)).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
