import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';

// A JSON body that is not valid UTF-8 is refused with 400, on /trpc (whichever handler the
// suite runs with) and on REST, instead of being decoded to U+FFFD and stored; a body that
// really contains U+FFFD (valid UTF-8) is accepted.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** `{"email":"…","password":"…","name":"<name bytes>"}` with the name's bytes as given. */
function signUpBody(nameBytes: number[]): Uint8Array {
  const before = Buffer.from(
    `{"email":"utf8-${nameBytes.join('-')}@example.com","password":"correct horse battery","name":"`,
  );
  return Buffer.concat([before, Buffer.from(nameBytes), Buffer.from('"}')]);
}

async function post(path: string, body: Uint8Array) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body,
  });
  return { status: response.status, text: await response.text() };
}

describe('request bodies that are not UTF-8', () => {
  for (const path of ['/trpc/auth.signUp', '/api/v1/auth/sign-up']) {
    it(`${path}: invalid bytes are 400, and nothing is stored`, async () => {
      // 0xFF never occurs in UTF-8; C3 followed by "(" is a truncated sequence.
      for (const bad of [
        [0x61, 0xff, 0x62],
        [0xc3, 0x28],
      ]) {
        const answer = await post(path, signUpBody(bad));
        expect(answer.status).toBe(400);
        expect(answer.text).toContain('not valid UTF-8');
      }
      const stored = await server.db
        .selectFrom('users')
        .select('name')
        .where('email', 'like', 'utf8-%')
        .where('name', 'like', '%\uFFFD%')
        .execute();
      expect(stored).toEqual([]);
    });
  }

  it('a body holding U+FFFD itself (valid UTF-8) is accepted as sent', async () => {
    const answer = await post('/trpc/auth.signUp', signUpBody([0x61, 0xef, 0xbf, 0xbd, 0x62]));
    expect(answer.status).toBe(200);
    const user = await server.db
      .selectFrom('users')
      .select('name')
      .where('email', '=', 'utf8-97-239-191-189-98@example.com')
      .executeTakeFirst();
    expect(user?.name).toBe('a\uFFFDb');
  });
});
