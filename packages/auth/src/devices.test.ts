import type { Database, Kysely } from '@trellis/db';
import { newId } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEVICE_TOKEN_PATTERN,
  DEVICE_TOKEN_PREFIX,
  deleteExpiredTrustedDevices,
  findTrustedDevice,
  forgetTrustedDevices,
  MAX_TRUSTED_DEVICES_PER_USER,
  TRUSTED_DEVICE_LIFETIME_MS,
  trustDevice,
} from './devices.js';
import { sha256Hex } from './random.js';
import { parseToken } from './tokens.js';

const MINUTE = 60 * 1000;
const T0 = new Date('2025-03-01T12:00:00.000Z');
function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

let testDb: TestDatabase;
let db: Kysely<Database>;

beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

afterEach(async () => {
  await testDb.destroy();
});

async function givenUser(name: string): Promise<{ id: string; email: string }> {
  const user = { id: newId(), email: `${name.toLowerCase()}@example.com`, name };
  await db
    .insertInto('users')
    .values({
      ...user,
      handle: name.toLowerCase(),
      password_hash: null,
      created_at: T0.toISOString(),
      updated_at: T0.toISOString(),
    })
    .execute();
  return user;
}

async function deviceIds(userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('trusted_devices')
    .select('id')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((row) => row.id).sort();
}

describe('trustDevice', () => {
  it('issues a trd_ token and stores only the SHA-256 of its secret', async () => {
    const ada = await givenUser('Ada');

    const token = await trustDevice(db, ada.id, { now: T0 });

    expect(token.startsWith(DEVICE_TOKEN_PREFIX)).toBe(true);
    const parts = parseToken(DEVICE_TOKEN_PREFIX, token);
    const row = await db.selectFrom('trusted_devices').selectAll().executeTakeFirstOrThrow();
    expect(row).toEqual({
      id: parts?.id,
      user_id: ada.id,
      secret_hash: sha256Hex(parts?.secret ?? ''),
      created_at: T0.toISOString(),
      last_used_at: T0.toISOString(),
    });
    expect(JSON.stringify(row)).not.toContain(parts?.secret);
  });

  it('replaces the device that presented a token: the old token stops working', async () => {
    const ada = await givenUser('Ada');
    const old = await trustDevice(db, ada.id, { now: T0 });
    const device = await findTrustedDevice(db, old, ada.email, T0);

    const fresh = await trustDevice(db, ada.id, { now: at(MINUTE), replaces: device?.id });

    expect(await findTrustedDevice(db, old, ada.email, at(MINUTE))).toBeNull();
    expect(await findTrustedDevice(db, fresh, ada.email, at(MINUTE))).not.toBeNull();
    expect(await deviceIds(ada.id)).toHaveLength(1);
  });

  it(`keeps the ${MAX_TRUSTED_DEVICES_PER_USER} most recently used devices per user`, async () => {
    const ada = await givenUser('Ada');
    const grace = await givenUser('Grace');
    const graces = await trustDevice(db, grace.id, { now: T0 });
    const tokens: string[] = [];
    for (let i = 0; i <= MAX_TRUSTED_DEVICES_PER_USER; i += 1) {
      tokens.push(await trustDevice(db, ada.id, { now: at(i * MINUTE) }));
    }

    expect(await deviceIds(ada.id)).toHaveLength(MAX_TRUSTED_DEVICES_PER_USER);
    const now = at(MAX_TRUSTED_DEVICES_PER_USER * MINUTE);
    expect(await findTrustedDevice(db, tokens[0] ?? '', ada.email, now)).toBeNull();
    expect(await findTrustedDevice(db, tokens[1] ?? '', ada.email, now)).not.toBeNull();
    expect(await findTrustedDevice(db, graces, grace.email, now)).not.toBeNull();
  });
});

describe('findTrustedDevice', () => {
  it('names the device of the account with that email, in any letter case', async () => {
    const ada = await givenUser('Ada');
    const token = await trustDevice(db, ada.id, { now: T0 });

    const device = await findTrustedDevice(db, token, ' ADA@example.com ', T0);

    expect(device).toEqual({ id: parseToken(DEVICE_TOKEN_PREFIX, token)?.id, userId: ada.id });
  });

  it("is null for another account's device: it only vouches for its own account", async () => {
    const ada = await givenUser('Ada');
    const grace = await givenUser('Grace');
    const adas = await trustDevice(db, ada.id, { now: T0 });

    expect(await findTrustedDevice(db, adas, grace.email, T0)).toBeNull();
    expect(await findTrustedDevice(db, adas, 'nobody@example.com', T0)).toBeNull();
  });

  it('is null for a wrong secret, a malformed token, or another kind of token', async () => {
    const ada = await givenUser('Ada');
    const token = await trustDevice(db, ada.id, { now: T0 });
    const last = token.at(-1) === 'a' ? 'b' : 'a';

    expect(await findTrustedDevice(db, `${token.slice(0, -1)}${last}`, ada.email, T0)).toBeNull();
    expect(await findTrustedDevice(db, token.slice(0, -1), ada.email, T0)).toBeNull();
    expect(await findTrustedDevice(db, `trl_${token.slice(4)}`, ada.email, T0)).toBeNull();
    expect(await findTrustedDevice(db, '', ada.email, T0)).toBeNull();
  });

  it('is null once the device has gone unused for its lifetime', async () => {
    const ada = await givenUser('Ada');
    const token = await trustDevice(db, ada.id, { now: T0 });

    expect(
      await findTrustedDevice(db, token, ada.email, at(TRUSTED_DEVICE_LIFETIME_MS - 1)),
    ).not.toBeNull();
    expect(
      await findTrustedDevice(db, token, ada.email, at(TRUSTED_DEVICE_LIFETIME_MS)),
    ).toBeNull();
  });

  it('is null after forgetTrustedDevices', async () => {
    const ada = await givenUser('Ada');
    const token = await trustDevice(db, ada.id, { now: T0 });

    await forgetTrustedDevices(db, ada.id);

    expect(await findTrustedDevice(db, token, ada.email, T0)).toBeNull();
  });
});

describe('DEVICE_TOKEN_PATTERN', () => {
  it('matches every issued device token, and no other kind', async () => {
    const ada = await givenUser('Ada');
    for (let i = 0; i < 20; i += 1) {
      expect(await trustDevice(db, ada.id, { now: T0 })).toMatch(DEVICE_TOKEN_PATTERN);
    }
    expect(`trl_${'a'.repeat(56)}`).not.toMatch(DEVICE_TOKEN_PATTERN);
    expect(`trd_${'a'.repeat(55)}`).not.toMatch(DEVICE_TOKEN_PATTERN);
  });
});

describe('deleteExpiredTrustedDevices', () => {
  it('deletes only devices unused for longer than their lifetime', async () => {
    const ada = await givenUser('Ada');
    await trustDevice(db, ada.id, { now: T0 });
    const recent = await trustDevice(db, ada.id, { now: at(TRUSTED_DEVICE_LIFETIME_MS / 2) });

    const deleted = await deleteExpiredTrustedDevices(db, at(TRUSTED_DEVICE_LIFETIME_MS + MINUTE));

    expect(deleted).toBe(1);
    const left = await db.selectFrom('trusted_devices').select('id').execute();
    expect(left.map((row) => row.id)).toEqual([parseToken(DEVICE_TOKEN_PREFIX, recent)?.id]);
  });
});
