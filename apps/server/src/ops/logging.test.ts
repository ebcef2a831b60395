import { SESSION_COOKIE } from '@trellis/auth';
import { createClient } from '@trellis/client';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenFromLink } from '../../test/support/mailbox.js';
import { startTestServer, type TestServer, verificationMail } from '../../test/support/server.js';
import { requestLogController } from './logging.js';

// The JSON log of a real server, captured while people sign up, sign in, use bearer tokens,
// cookies, API tokens and invites: every line carries the request id, completion lines say
// who called what, and no secret appears anywhere.

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** A server logging at `level` into memory; returns it with its log so far. */
async function loggedServer(level: 'trace' | 'info' | 'warn' = 'trace') {
  let log = '';
  const server = await startTestServer(
    { logLevel: level },
    {
      logStream: {
        write(line) {
          log += line;
        },
      },
    },
  );
  servers.push(server);
  const lines = () =>
    log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { server, log: () => log, lines };
}

/** A tRPC call over plain HTTP; returns the response and its JSON body. */
async function call(
  server: TestServer,
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
  method: 'GET' | 'POST' = 'POST',
) {
  const url =
    method === 'GET'
      ? `${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
      : `${server.url}/trpc/${path}`;
  const response = await fetch(url, {
    method,
    headers: { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: method === 'POST' ? JSON.stringify(input) : undefined,
  });
  const body = (await response.json()) as { result?: { data: Record<string, unknown> } };
  return { response, data: body.result?.data ?? {} };
}

describe('request logs', () => {
  it('never contain passwords, session or API tokens, cookies or invite secrets', async () => {
    const { server, log } = await loggedServer('trace');
    const password = 'Pa55word-that-must-not-be-logged';
    const secrets: string[] = [password];
    const origin = { origin: server.url };

    // Sign up and sign in (the sign-in answers with a Set-Cookie).
    const signUp = await call(server, 'auth.signUp', {
      email: 'owner@example.com',
      password,
      name: 'Owner',
    });
    const signIn = await call(server, 'auth.signIn', { email: 'owner@example.com', password });
    const token = String((signIn.data.session as { token: string }).token);
    secrets.push(token, String((signUp.data.session as { token: string }).token));
    const cookie = signIn.response.headers.getSetCookie().find((c) => c.startsWith(SESSION_COOKIE));
    const cookieValue = cookie?.split(';')[0]?.split('=')[1] ?? '';
    expect(cookieValue.length).toBeGreaterThan(10);
    secrets.push(cookieValue);
    // A wrong password is not logged either.
    secrets.push('Wrong-password-also-secret');
    await call(server, 'auth.signIn', {
      email: 'owner@example.com',
      password: 'Wrong-password-also-secret',
    });

    // The session as a bearer token and as a cookie.
    const bearer = { authorization: `Bearer ${token}` };
    expect((await call(server, 'auth.me', undefined, bearer, 'GET')).response.status).toBe(200);
    const withCookie = { cookie: `${SESSION_COOKIE}=${cookieValue}` };
    expect((await call(server, 'auth.me', undefined, withCookie, 'GET')).response.status).toBe(200);

    // A workspace, an API token (then used), an invite (then accepted by someone else).
    const client = createClient({ url: server.url, token });
    const workspace = await client.workspaces.create.mutate({ name: 'Logs', slug: 'logs' });
    const apiToken = await client.apiTokens.create.mutate({
      workspaceId: workspace.id,
      name: 'CI',
      scope: 'read',
    });
    secrets.push(apiToken.token);
    const viaApiToken = await call(
      server,
      'workspaces.get',
      { workspaceId: workspace.id },
      { authorization: `Bearer ${apiToken.token}` },
      'GET',
    );
    expect(viaApiToken.response.status).toBe(200);
    const invite = await client.members.invite.mutate({
      workspaceId: workspace.id,
      email: 'mate@example.com',
      role: 'member',
    });
    secrets.push(invite.inviteToken);
    const mate = await createClient({ url: server.url }).auth.signUp.mutate({
      email: 'mate@example.com',
      password,
      name: 'Mate',
    });
    secrets.push(mate.session.token);
    // Only a verified address may accept an invite; the mailed link's token is a secret too.
    const link = (await verificationMail(server, 'mate@example.com')).links[0] ?? '';
    const verifyToken = tokenFromLink(link);
    secrets.push(verifyToken);
    const verified = await call(server, 'auth.verifyEmail', { token: verifyToken });
    expect(verified.response.status).toBe(200);
    const accepted = await call(
      server,
      'members.acceptInvite',
      { inviteToken: invite.inviteToken },
      { authorization: `Bearer ${mate.session.token}`, ...origin },
    );
    expect(accepted.response.status).toBe(200);
    // Secrets in a query string (an OAuth callback carries its code there).
    secrets.push('oauth-code-in-a-query-string');
    await fetch(`${server.url}/auth/oauth/github/callback?code=oauth-code-in-a-query-string`);

    const written = log();
    expect(written).toContain('request completed');
    // Headers are logged, with the credentials blanked.
    expect(written).toContain('"authorization":"[redacted]"');
    expect(written).toContain('"cookie":"[redacted]"');
    expect(written).toContain('"set-cookie":"[redacted]"');
    for (const secret of secrets) {
      expect(written, `a secret (${secret.slice(0, 6)}…) is in the log`).not.toContain(secret);
      // Nor the secret half of a `<id>.<secret>` token.
      const tail = secret.split('.').at(-1) ?? secret;
      expect(written).not.toContain(tail);
    }
  });

  it('names the procedure and the user on the completion line, under the request id', async () => {
    const { server, lines } = await loggedServer('info');
    const { user, session } = await createClient({ url: server.url }).auth.signUp.mutate({
      email: 'who@example.com',
      password: 'correct horse battery staple',
      name: 'Who',
    });

    const response = await fetch(`${server.url}/trpc/auth.me,workspaces.list?batch=1&input={}`, {
      headers: { authorization: `Bearer ${session.token}`, 'x-request-id': 'trace-abc-123' },
    });

    expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
    const ofRequest = lines().filter((line) => line.reqId === 'trace-abc-123');
    expect(ofRequest.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(ofRequest[1]).toMatchObject({
      level: 30,
      procedure: 'auth.me,workspaces.list',
      userId: user.id,
      res: { statusCode: 200 },
    });
    expect(ofRequest[1]?.responseTime).toEqual(expect.any(Number));
    // Public calls have no user.
    const signUpLine = lines().find(
      (line) => line.msg === 'request completed' && line.procedure === 'auth.signUp',
    );
    expect(signUpLine?.userId).toBeNull();
  });

  it('accepts a sane X-Request-Id and replaces any other with a fresh one', async () => {
    const { server, lines } = await loggedServer('info');
    const idOf = async (header?: string) => {
      const response = await fetch(`${server.url}/healthz`, {
        headers: header === undefined ? {} : { 'x-request-id': header },
      });
      return response.headers.get('x-request-id') ?? '';
    };
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

    expect(await idOf('a'.repeat(128))).toBe('a'.repeat(128));
    const generated = [
      await idOf(),
      await idOf('a'.repeat(129)),
      await idOf('has space'),
      await idOf('naïve'),
      await idOf(''),
    ];
    for (const id of generated) expect(id).toMatch(uuid);
    expect(new Set(generated).size).toBe(generated.length);
    const logged = new Set(lines().map((line) => line.reqId));
    for (const id of generated) expect(logged).toContain(id);
  });

  it('writes no per-request lines above info, but still echoes the request id', async () => {
    const { server, log } = await loggedServer('warn');

    const response = await fetch(`${server.url}/healthz`, {
      headers: { 'x-request-id': 'quiet-1' },
    });

    expect(response.headers.get('x-request-id')).toBe('quiet-1');
    expect(log()).toBe('');
  });

  it('installs no per-request logging above info, where pino would drop the lines anyway', () => {
    // Fastify attaches its per-response listeners only when this says "not disabled"
    // (docs/performance.md: measurable on a point read).
    const request = {} as Parameters<ReturnType<typeof requestLogController>['isLogDisabled']>[0];
    const controller = (level: string) =>
      requestLogController(level, () => ({ procedure: 'x', userId: null }));

    for (const level of ['warn', 'error', 'fatal', 'silent']) {
      expect(controller(level).isLogDisabled(request), level).toBe(true);
    }
    for (const level of ['info', 'debug', 'trace']) {
      expect(controller(level).isLogDisabled(request), level).toBe(false);
    }
  });
});
