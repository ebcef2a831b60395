import type { Database, Kysely } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clientAddressKey,
  DEFAULT_RATE_LIMITS,
  deleteExpiredRateLimits,
  hitRateLimit,
  type RateLimitRule,
  refundRateLimit,
  resetRateLimit,
} from './rate-limit.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The moment every test's story starts; `at(ms)` is that long after it. */
const T0 = new Date('2025-03-01T12:00:00.000Z');
function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** 3 hits per minute: small enough to exhaust in a test. */
const RULE: RateLimitRule = { limit: 3, windowMs: MINUTE };

let testDb: TestDatabase;
let db: Kysely<Database>;

beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

afterEach(async () => {
  await testDb.destroy();
});

async function counter(key: string) {
  return db.selectFrom('rate_limits').selectAll().where('key', '=', key).executeTakeFirst();
}

async function allKeys(): Promise<string[]> {
  const rows = await db.selectFrom('rate_limits').select('key').orderBy('key').execute();
  return rows.map((row) => row.key);
}

/** Hits `key` `times` times in a row at `ms` after T0; returns every verdict. */
async function hitTimes(key: string, times: number, ms = 0, rule = RULE) {
  const verdicts = [];
  for (let i = 0; i < times; i++) verdicts.push(await hitRateLimit(db, key, rule, at(ms)));
  return verdicts;
}

describe('DEFAULT_RATE_LIMITS', () => {
  it('is the documented set of limits', () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({
      signInPerAccountAndIp: { limit: 10, windowMs: 10 * MINUTE },
      signInPerIp: { limit: 50, windowMs: 10 * MINUTE },
      signInPerAccount: { limit: 100, windowMs: 10 * MINUTE },
      signInPerDevice: { limit: 10, windowMs: 10 * MINUTE },
      signUpPerIp: { limit: 20, windowMs: 60 * MINUTE },
      invitesPerWorkspace: { limit: 100, windowMs: 60 * MINUTE },
      accountMailsPerUser: { limit: 5, windowMs: 60 * MINUTE },
      passwordResetsPerEmail: { limit: 5, windowMs: 60 * MINUTE },
      passwordResetsPerIp: { limit: 20, windowMs: 60 * MINUTE },
      passwordChecksPerUser: { limit: 10, windowMs: 10 * MINUTE },
    });
  });
});

describe('hitRateLimit', () => {
  it('allows `limit` hits, then refuses', async () => {
    const verdicts = await hitTimes('k', 5);

    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false, false]);
  });

  it('starts a window at the first hit and counts hits in one row', async () => {
    await hitTimes('k', 2);

    expect(await counter('k')).toEqual({
      key: 'k',
      hits: 2,
      reset_at: at(MINUTE).toISOString(),
    });
  });

  it('keeps the window where the first hit put it (later hits do not extend it)', async () => {
    await hitRateLimit(db, 'k', RULE, at(0));
    await hitRateLimit(db, 'k', RULE, at(40 * SECOND));

    expect((await counter('k'))?.reset_at).toBe(at(MINUTE).toISOString());
  });

  it('says how many seconds remain until the window resets', async () => {
    await hitTimes('k', 3, 0);

    const refused = await hitRateLimit(db, 'k', RULE, at(20 * SECOND));

    expect(refused).toEqual({ allowed: false, hits: 4, retryAfterSeconds: 40 });
  });

  it('rounds the remaining time up to whole seconds', async () => {
    await hitTimes('k', 3, 0);

    const refused = await hitRateLimit(db, 'k', RULE, at(20 * SECOND + 1));

    expect(refused.retryAfterSeconds).toBe(40); // 39.999 s
  });

  it('says at least 1 second even a millisecond before the reset', async () => {
    await hitTimes('k', 3, 0);

    const refused = await hitRateLimit(db, 'k', RULE, at(MINUTE - 1));

    expect(refused).toEqual({ allowed: false, hits: 4, retryAfterSeconds: 1 });
  });

  it('reports the whole window on the first hit', async () => {
    expect(await hitRateLimit(db, 'k', RULE, at(0))).toEqual({
      allowed: true,
      hits: 1,
      retryAfterSeconds: 60,
    });
  });

  it('starts over once the window is over: hits count from 1 again', async () => {
    await hitTimes('k', 5, 0);

    const fresh = await hitRateLimit(db, 'k', RULE, at(MINUTE));

    expect(fresh).toEqual({ allowed: true, hits: 1, retryAfterSeconds: 60 });
    expect(await counter('k')).toMatchObject({ hits: 1, reset_at: at(2 * MINUTE).toISOString() });
    const rest = await hitTimes('k', 3, MINUTE + SECOND);
    expect(rest.map((v) => v.allowed)).toEqual([true, true, false]);
  });

  it('starts the new window at the hit that opened it, not at the old reset time', async () => {
    await hitTimes('k', 3, 0);

    await hitRateLimit(db, 'k', RULE, at(5 * MINUTE + 7 * SECOND));

    expect((await counter('k'))?.reset_at).toBe(at(6 * MINUTE + 7 * SECOND).toISOString());
  });

  it('keeps counting refused hits within the window', async () => {
    await hitTimes('k', 10);

    expect((await counter('k'))?.hits).toBe(10);
  });

  it('keeps keys independent', async () => {
    await hitTimes('ip:203.0.113.7', 3);

    const other = await hitRateLimit(db, 'ip:198.51.100.4', RULE, at(0));
    const same = await hitRateLimit(db, 'ip:203.0.113.7', RULE, at(0));

    expect(other.allowed).toBe(true);
    expect(same.allowed).toBe(false);
    expect((await counter('ip:198.51.100.4'))?.hits).toBe(1);
    expect((await counter('ip:203.0.113.7'))?.hits).toBe(4);
  });

  it('applies whichever rule it is given', async () => {
    const rule: RateLimitRule = { limit: 1, windowMs: 10 * SECOND };

    const verdicts = await hitTimes('k', 2, 0, rule);

    expect(verdicts).toEqual([
      { allowed: true, hits: 1, retryAfterSeconds: 10 },
      { allowed: false, hits: 2, retryAfterSeconds: 10 },
    ]);
  });

  it('counts concurrent hits on one key exactly', async () => {
    const verdicts = await Promise.all(
      Array.from({ length: 30 }, () => hitRateLimit(db, 'k', { limit: 10, windowMs: MINUTE }, T0)),
    );

    expect((await counter('k'))?.hits).toBe(30);
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(10);
  });
});

describe('refundRateLimit', () => {
  it('takes back one hit', async () => {
    await hitTimes('k', 3);

    await refundRateLimit(db, 'k');

    expect((await counter('k'))?.hits).toBe(2);
    expect((await hitRateLimit(db, 'k', RULE, at(SECOND))).allowed).toBe(true);
    expect((await hitRateLimit(db, 'k', RULE, at(SECOND))).allowed).toBe(false);
  });

  it('leaves the window where it was', async () => {
    await hitTimes('k', 2);

    await refundRateLimit(db, 'k');

    expect((await counter('k'))?.reset_at).toBe(at(MINUTE).toISOString());
  });

  it('never goes below 0', async () => {
    await hitTimes('k', 1);

    await refundRateLimit(db, 'k');
    await refundRateLimit(db, 'k');
    await refundRateLimit(db, 'k');

    expect((await counter('k'))?.hits).toBe(0);
    const verdicts = await hitTimes('k', 4, SECOND);
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false]);
  });

  it('does nothing for an unknown key, and touches no other key', async () => {
    await hitTimes('other', 2);

    await refundRateLimit(db, 'k');

    expect(await counter('k')).toBeUndefined();
    expect((await counter('other'))?.hits).toBe(2);
  });
});

describe('resetRateLimit', () => {
  it('forgets every hit against the key', async () => {
    await hitTimes('k', 5);

    await resetRateLimit(db, 'k');

    expect(await counter('k')).toBeUndefined();
    const verdicts = await hitTimes('k', 4, SECOND);
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false]);
  });

  it('spares other keys', async () => {
    await hitTimes('k', 2);
    await hitTimes('other', 2);

    await resetRateLimit(db, 'k');

    expect(await allKeys()).toEqual(['other']);
  });
});

describe('deleteExpiredRateLimits', () => {
  it('deletes only counters whose window is over, and says how many', async () => {
    await hitRateLimit(db, 'old-1', RULE, at(0)); // window ends at 1 min
    await hitRateLimit(db, 'old-2', RULE, at(30 * SECOND)); // ends at 1.5 min
    await hitRateLimit(db, 'live', RULE, at(MINUTE)); // ends at 2 min

    const deleted = await deleteExpiredRateLimits(db, at(90 * SECOND));

    expect(deleted).toBe(2);
    expect(await allKeys()).toEqual(['live']);
  });

  it('keeps a window that ends a millisecond later', async () => {
    await hitRateLimit(db, 'k', RULE, at(0));

    expect(await deleteExpiredRateLimits(db, at(MINUTE - 1))).toBe(0);
    expect(await allKeys()).toEqual(['k']);
  });

  it('returns 0 when nothing is stored', async () => {
    expect(await deleteExpiredRateLimits(db, at(0))).toBe(0);
  });
});

describe('clientAddressKey', () => {
  it('keeps an IPv4 address whole', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('unwraps an IPv4-mapped IPv6 address, in any case', () => {
    expect(clientAddressKey('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(clientAddressKey('::FFFF:1.2.3.4')).toBe('1.2.3.4');
  });

  it('reduces IPv6 to its /64, the same for every spelling of it', () => {
    const spellings = [
      '2001:db8:0:0:1::1',
      '2001:0db8::2',
      '2001:db8::',
      '2001:DB8:0:0:ffff:ffff:ffff:ffff',
      '2001:0db8:0000:0000:0001:0000:0000:0001',
    ];

    for (const ip of spellings) expect(clientAddressKey(ip), ip).toBe('2001:db8:0:0::/64');
  });

  it('keeps non-zero groups of the prefix, dropping only leading zeros', () => {
    expect(clientAddressKey('2001:0db8:00a0:0b00:1:2:3:4')).toBe('2001:db8:a0:b00::/64');
    expect(clientAddressKey('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('tells different /64s apart', () => {
    const a = clientAddressKey('2001:db8:0:1::1');
    const b = clientAddressKey('2001:db8:0:2::1');
    const c = clientAddressKey('2001:db8:1::1');

    expect(a).toBe('2001:db8:0:1::/64');
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it("says 'unknown' when there is no address", () => {
    expect(clientAddressKey(null)).toBe('unknown');
    expect(clientAddressKey('')).toBe('unknown');
  });
});
