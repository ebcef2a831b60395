import type { Database, Kysely } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  consumeEmailToken,
  deleteExpiredEmailTokens,
  issueEmailToken,
  revokeEmailTokens,
} from './email-tokens.js';
import { createPasswordUser } from './users.js';

// Mailed single-use links on a real database (SQLite, or PostgreSQL with
// TRELLIS_TEST_DIALECT=postgres): one use, one purpose, one lifetime, newest wins.

const HOUR_MS = 60 * 60 * 1000;
const now = new Date('2030-01-01T12:00:00.000Z');

let testDb: TestDatabase;
let db: Kysely<Database>;
let userId: string;

beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  userId = (
    await createPasswordUser(db, { email: 'ada@example.com', name: 'Ada', passwordHash: 'x' })
  ).id;
});

afterEach(async () => {
  await testDb.destroy();
});

const issue = (
  purpose: 'verify_email' | 'reset_password' | 'change_email',
  email = 'ada@example.com',
) => issueEmailToken(db, { userId, purpose, email, ttlMs: HOUR_MS, now });

describe('email tokens', () => {
  it('are prefixed by purpose and stored only as a hash', async () => {
    const verify = await issue('verify_email');
    const reset = await issue('reset_password');
    expect(verify).toMatch(/^trv_[a-z0-9]{56}$/);
    expect(reset).toMatch(/^trp_[a-z0-9]{56}$/);
    const stored = JSON.stringify(await db.selectFrom('email_tokens').selectAll().execute());
    expect(stored).not.toContain(verify.slice(4 + 24));
    expect(stored).not.toContain(reset.slice(4 + 24));
  });

  it('are used once: of many concurrent uses, exactly one succeeds', async () => {
    const token = await issue('verify_email');
    const uses = await Promise.all(
      Array.from({ length: 8 }, () =>
        db.transaction().execute((trx) => consumeEmailToken(trx, token, ['verify_email'], now)),
      ),
    );
    expect(uses.filter((use) => 'userId' in use)).toEqual([
      { userId, purpose: 'verify_email', email: 'ada@example.com' },
    ]);
    expect(uses.filter((use) => 'refused' in use && use.refused === 'used')).toHaveLength(7);
  });

  it('work until their expiry, not at it', async () => {
    const token = await issue('reset_password');
    const atExpiry = new Date(now.getTime() + HOUR_MS);
    expect(await consumeEmailToken(db, token, ['reset_password'], atExpiry)).toEqual({
      refused: 'expired',
    });
    expect(
      await consumeEmailToken(db, token, ['reset_password'], new Date(atExpiry.getTime() - 1)),
    ).toMatchObject({ userId });
  });

  it('serve only the purposes asked for', async () => {
    const change = await issue('change_email', 'new@example.com');
    expect(await consumeEmailToken(db, change, ['verify_email'], now)).toEqual({
      refused: 'invalid',
    });
    expect(await consumeEmailToken(db, change, ['reset_password'], now)).toEqual({
      refused: 'invalid',
    });
    expect(await consumeEmailToken(db, change, ['verify_email', 'change_email'], now)).toEqual({
      userId,
      purpose: 'change_email',
      email: 'new@example.com',
    });
  });

  it('are replaced by a newer one of the same purpose, and revoked on demand', async () => {
    const older = await issue('verify_email');
    const reset = await issue('reset_password');
    const newer = await issue('verify_email');
    expect(await consumeEmailToken(db, older, ['verify_email'], now)).toEqual({
      refused: 'invalid',
    });
    await revokeEmailTokens(db, userId, ['verify_email']);
    expect(await consumeEmailToken(db, newer, ['verify_email'], now)).toEqual({
      refused: 'invalid',
    });
    expect(await consumeEmailToken(db, reset, ['reset_password'], now)).toMatchObject({ userId });
  });

  it('are swept once expired, used or not', async () => {
    const used = await issue('verify_email');
    await consumeEmailToken(db, used, ['verify_email'], now);
    await issue('reset_password');
    expect(await deleteExpiredEmailTokens(db, new Date(now.getTime() + HOUR_MS - 1))).toBe(0);
    expect(await deleteExpiredEmailTokens(db, new Date(now.getTime() + HOUR_MS))).toBe(2);
  });
});
