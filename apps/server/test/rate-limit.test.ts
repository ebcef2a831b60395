import { DEFAULT_RATE_LIMITS, type RateLimits } from '@trellis/auth';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../src/config.js';
import { startTestServer, type TestServer } from './support/server.js';

// Rate limits over real HTTP: the answers clients see (429 + Retry-After), the shared
// counters in the database, and which address a request is counted against. Client
// addresses are simulated with X-Forwarded-For behind a trusted proxy (127.0.0.1, the
// test client itself).

const PASSWORD = 'correct horse battery staple';
const TEN_MINUTES_MS = 10 * 60 * 1000;
const BEHIND_PROXY: Partial<ServerConfig> = { trustProxy: ['127.0.0.1'] };

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
  setCookies: string[];
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  if (!server) throw new Error('server not started');
  const query =
    method === 'GET' && input !== undefined
      ? `?input=${encodeURIComponent(JSON.stringify(input))}`
      : '';
  const response = await fetch(`${server.url}/trpc/${path}${query}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'POST' ? JSON.stringify(input) : undefined,
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
    setCookies: response.headers.getSetCookie(),
  };
}

function post(path: string, input: unknown, headers: Record<string, string> = {}) {
  return call('POST', path, input, headers);
}

let emailCounter = 0;
async function signUp(headers: Record<string, string> = {}) {
  emailCounter += 1;
  const email = `limited${emailCounter}@example.com`;
  const answer = await post('auth.signUp', { email, password: PASSWORD, name: 'Lim' }, headers);
  return { email, answer };
}

/** Where a sign-in comes from: a client address (needs BEHIND_PROXY) and a device. */
interface From {
  /** The client address, sent as X-Forwarded-For. */
  ip?: string;
  /** A device token sent the way a browser does: as the device cookie. */
  deviceCookie?: string;
  /** A device token sent the way a program does: as the `deviceToken` input field. */
  deviceToken?: string;
}

function signIn(email: string, password: string, from: From = {}) {
  const headers: Record<string, string> = {};
  if (from.ip) headers['x-forwarded-for'] = from.ip;
  if (from.deviceCookie) headers.cookie = `trellis_device=${from.deviceCookie}`;
  const input = from.deviceToken
    ? { email, password, deviceToken: from.deviceToken }
    : { email, password };
  return post('auth.signIn', input, headers);
}

interface SignedIn {
  session: { token: string };
  deviceToken: string;
}

function signedIn(answer: Answer): SignedIn {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body as { result: { data: SignedIn } }).result.data;
}

/** `count` wrong passwords for `email` from `from`; returns the statuses. */
async function guess(email: string, count: number, from: From = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 1) {
    statuses.push((await signIn(email, `wrong password ${i}`, from)).status);
  }
  return statuses;
}

const repeat = (status: number, times: number) => Array<number>(times).fill(status);

async function counterHits(key: string): Promise<number> {
  const row = await server?.db
    .selectFrom('rate_limits')
    .select('hits')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.hits ?? 0;
}

describe('failed sign-ins per account and address', () => {
  it('answers 40 wrong passwords with 401 ten times, then 429 with Retry-After; the right password works after the window', async () => {
    await start();
    const { email } = await signUp();

    const answers: Answer[] = [];
    for (let i = 0; i < 40; i += 1) answers.push(await signIn(email, `wrong password ${i}`));

    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(repeat(401, 10));
    expect(answers.slice(10).map((a) => a.status)).toEqual(repeat(429, 30));
    for (const limited of answers.slice(10)) {
      const seconds = Number(limited.retryAfter);
      expect(Number.isInteger(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(600);
      expect(limited.body).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS' } } });
    }
    expect(answers[0]?.retryAfter).toBeNull();
    // From that address (and without a trusted device), even the right password waits:
    // guessing from there stays useless.
    expect((await signIn(email, PASSWORD)).status).toBe(429);

    clockMs += TEN_MINUTES_MS;
    const after = await signIn(email, PASSWORD);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ result: { data: { user: { email } } } });
  });

  it('forgets earlier failures from that address after a successful sign-in there', async () => {
    await start();
    const { email } = await signUp();
    expect(await guess(email, 9)).toEqual(repeat(401, 9));

    expect((await signIn(email, PASSWORD)).status).toBe(200);

    expect(await guess(email, 11)).toEqual([...repeat(401, 10), 429]);
  });

  it('counts an unknown email like a known one, so the answers do not reveal which exists', async () => {
    await start();
    expect(await guess('nobody@example.com', 11)).toEqual([...repeat(401, 10), 429]);
  });

  it('shares the counter between requests to the same account in any letter case', async () => {
    await start();
    const { email } = await signUp();
    for (let i = 0; i < 10; i += 1) await signIn(i % 2 ? email.toUpperCase() : email, 'wrong');
    expect((await signIn(email.toUpperCase(), PASSWORD)).status).toBe(429);
  });
});

describe('the owner is not locked out by failures from elsewhere', () => {
  it('lets the owner sign in from another address after 30 wrong passwords from one', async () => {
    await start(BEHIND_PROXY);
    const { email } = await signUp();
    const attacker = { ip: '203.0.113.66' };

    expect(await guess(email, 30, attacker)).toEqual([...repeat(401, 10), ...repeat(429, 20)]);

    const owner = await signIn(email, PASSWORD, { ip: '198.51.100.7' });
    expect(owner.status, JSON.stringify(owner.body)).toBe(200);
    expect(owner.body).toMatchObject({ result: { data: { user: { email } } } });
  });

  it("signs the owner's trusted device in after guessing from many addresses exhausts the account's limit", async () => {
    await start(BEHIND_PROXY);
    const { email } = await signUp();
    // The owner signed in on this device before: it got a device token (cookie and answer).
    const earlier = signedIn(await signIn(email, PASSWORD, { ip: '198.51.100.7' }));
    expect(earlier.deviceToken).toMatch(/^trd_/);

    // 100 failures spread over 10 addresses, 10 each: the account-wide limit for untrusted
    // devices (100 per 10 minutes) is used up, so from anywhere else even the right
    // password waits.
    for (let i = 0; i < 10; i += 1) {
      expect(await guess(email, 10, { ip: `203.0.113.${i}` })).toEqual(repeat(401, 10));
    }
    expect((await signIn(email, 'one more guess', { ip: '203.0.113.200' })).status).toBe(429);
    expect((await signIn(email, PASSWORD, { ip: '192.0.2.1' })).status).toBe(429);

    // The trusted device is not: by cookie, from its usual address or from a new one...
    const byCookie = signedIn(
      await signIn(email, PASSWORD, { ip: '192.0.2.2', deviceCookie: earlier.deviceToken }),
    );
    // ...and by the deviceToken field, as a program sends the token it was given.
    const byField = await signIn(email, PASSWORD, {
      ip: '198.51.100.7',
      deviceToken: byCookie.deviceToken,
    });
    expect(byField.status, JSON.stringify(byField.body)).toBe(200);
  });

  it('limits a trusted device on its own: 10 failures, then 429, while others are unaffected', async () => {
    await start(BEHIND_PROXY);
    const { email } = await signUp();
    const device = signedIn(await signIn(email, PASSWORD, { ip: '198.51.100.7' })).deviceToken;

    expect(await guess(email, 11, { ip: '198.51.100.7', deviceToken: device })).toEqual([
      ...repeat(401, 10),
      429,
    ]);
    expect(
      (await signIn(email, PASSWORD, { ip: '198.51.100.7', deviceToken: device })).status,
    ).toBe(429);
    // Its failures were not counted against the account or the address.
    expect((await signIn(email, PASSWORD, { ip: '198.51.100.7' })).status).toBe(200);
  });

  it("clears the account's failures from that address when its trusted device signs in there", async () => {
    await start(BEHIND_PROXY);
    const { email } = await signUp();
    const device = signedIn(await signIn(email, PASSWORD, { ip: '198.51.100.8' })).deviceToken;
    // Typos from a browser without the device cookie, on the same network.
    expect(await guess(email, 11, { ip: '198.51.100.8' })).toEqual([...repeat(401, 10), 429]);

    signedIn(await signIn(email, PASSWORD, { ip: '198.51.100.8', deviceToken: device }));

    // The owner proved the password from that address: its failures there are forgotten.
    expect((await signIn(email, PASSWORD, { ip: '198.51.100.8' })).status).toBe(200);
  });

  it("gives no trust to another account's device token, a forged one, or a stale one", async () => {
    await start(BEHIND_PROXY);
    const victim = await signUp();
    const attacker = await signUp();
    const attackersDevice = signedIn(await signIn(attacker.email, PASSWORD)).deviceToken;
    const from = { ip: '203.0.113.66' };

    expect(await guess(victim.email, 11, { ...from, deviceToken: attackersDevice })).toEqual([
      ...repeat(401, 10),
      429,
    ]);
    // Counted as an untrusted device's failures (a trusted one's would count per device).
    expect(await counterHits(`signin:account:${victim.email}`)).toBe(10);
    const forged = `trd_${'a'.repeat(56)}`;
    expect((await signIn(victim.email, 'guess', { ...from, deviceCookie: forged })).status).toBe(
      429,
    );

    // A device token is replaced by each sign-in it makes: the old one is trusted no more.
    const first = signedIn(await signIn(attacker.email, PASSWORD)).deviceToken;
    signedIn(await signIn(attacker.email, PASSWORD, { deviceToken: first }));
    const stale = await signIn(attacker.email, 'wrong', { ...from, deviceToken: first });
    expect(stale.status).toBe(401);
    expect(await counterHits(`signin:account:${attacker.email}`)).toBe(1);
  });

  it('refuses a deviceToken that is not one, naming the field', async () => {
    await start();
    const { email } = await signUp();

    const answer = await signIn(email, PASSWORD, { deviceToken: 'trl_not-a-device-token' });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: { data: { code: 'BAD_REQUEST', fieldErrors: { deviceToken: expect.any(Array) } } },
    });
  });
});

describe('failed sign-ins per client address', () => {
  const perIp = { signInPerIp: { limit: 5, windowMs: TEN_MINUTES_MS } };

  it('limits failures across accounts from one address', async () => {
    await start({}, perIp);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await signIn(`someone${i}@example.com`, 'wrong password')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('does not count attempts it refuses against the accounts they named', async () => {
    await start(BEHIND_PROXY);
    const { email } = await signUp();
    const attacker = { ip: '203.0.113.66' };
    // The attacker's address uses up its 50 failures on other accounts...
    for (let i = 0; i < 50; i += 1) {
      expect((await signIn(`someone${i}@example.com`, 'wrong', attacker)).status).toBe(401);
    }
    // ...and then hammers the victim: 150 refusals, none of which may count against the
    // victim's account (its account-wide limit is 100).
    expect(await guess(email, 150, attacker)).toEqual(repeat(429, 150));
    expect(await counterHits(`signin:account:${email}`)).toBe(0);
    expect(await counterHits(`signin:account-ip:${attacker.ip}:${email}`)).toBe(0);

    // From anywhere else the victim's account is untouched: 10 failures, then the owner.
    const elsewhere = { ip: '198.51.100.7' };
    expect(await guess(email, 9, elsewhere)).toEqual(repeat(401, 9));
    expect((await signIn(email, PASSWORD, elsewhere)).status).toBe(200);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set, so clients cannot pick their address', async () => {
    await start({}, perIp);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const spoofed = { ip: `203.0.113.${i}` };
      statuses.push((await signIn(`someone${i}@example.com`, 'wrong', spoofed)).status);
    }
    expect(statuses.at(-1)).toBe(429);
  });

  it('counts each forwarded client separately behind a trusted proxy', async () => {
    await start(BEHIND_PROXY, perIp);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const forwarded = { ip: `203.0.113.${i}` };
      statuses.push((await signIn(`someone${i}@example.com`, 'wrong', forwarded)).status);
    }
    expect(statuses).toEqual(repeat(401, 6));

    // The same forwarded client is still limited.
    const one = { ip: '198.51.100.7' };
    const again: number[] = [];
    for (let i = 0; i < 6; i += 1) again.push((await signIn(`x${i}@example.com`, 'w', one)).status);
    expect(again).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('successful sign-ins', () => {
  it('sets a long-lived HttpOnly device cookie holding the deviceToken it answers with', async () => {
    await start();
    const { email } = await signUp();

    const answer = await signIn(email, PASSWORD);

    const { deviceToken } = signedIn(answer);
    expect(answer.setCookies).toContain(
      `trellis_device=${deviceToken}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000`,
    );
  });

  it('keeps at most 30 sessions per user: 61 sign-ins in a row end the oldest ones', async () => {
    const { db } = await start();
    const { email, answer } = await signUp();
    const signUpToken = (answer.body as { result: { data: SignedIn } }).result.data.session.token;

    const tokens: string[] = [];
    for (let i = 0; i < 61; i += 1) {
      clockMs += 1000; // one sign-in a second, so "oldest" is well defined
      tokens.push(signedIn(await signIn(email, PASSWORD)).session.token);
    }

    const newest = { authorization: `Bearer ${tokens.at(-1)}` };
    const listed = await call('GET', 'auth.sessions.list', undefined, newest);
    expect(listed.status).toBe(200);
    expect((listed.body as { result: { data: unknown[] } }).result.data).toHaveLength(30);
    expect(await db.selectFrom('sessions').select('id').execute()).toHaveLength(30);
    // The oldest are over; the 30 newest all work.
    for (const old of [signUpToken, tokens[0], tokens[30]]) {
      const me = await call('GET', 'auth.me', undefined, { authorization: `Bearer ${old}` });
      expect(me.status).toBe(401);
    }
    const oldestKept = { authorization: `Bearer ${tokens[31]}` };
    expect((await call('GET', 'auth.me', undefined, oldestKept)).status).toBe(200);
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
