import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireStreamLease,
  deleteExpiredStreamLeases,
  releaseStreamLeases,
  renewStreamLeases,
} from './stream-leases.js';

const T0 = new Date('2030-06-01T09:00:00.000Z');
const TTL_MS = 30_000;
const at = (ms: number) => new Date(T0.getTime() + ms);

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await database.destroy();
});

const take = (ownerKey: string, now = T0, max = 2) =>
  acquireStreamLease(database.db, { ownerKey, max, now, ttlMs: TTL_MS });

const leaseCount = async () =>
  (await database.db.selectFrom('stream_leases').select('id').execute()).length;

describe('stream leases', () => {
  it('give an owner at most `max` slots, and a released one back', async () => {
    const first = await take('user:a');
    const second = await take('user:a');
    expect([first, second]).not.toContain(null);
    expect(await take('user:a')).toBeNull();
    expect(await take('user:b')).not.toBeNull();

    await releaseStreamLeases(database.db, [first as string]);
    expect(await take('user:a')).not.toBeNull();
    expect(await take('user:a')).toBeNull();
  });

  it('hand out no more than `max` to acquisitions at once', async () => {
    // PostgreSQL: every connection of the pool open first, so that they really overlap.
    await Promise.all(Array.from({ length: 12 }, () => sql`select 1`.execute(database.db)));
    const taken = await Promise.all(Array.from({ length: 12 }, () => take('user:a', T0, 3)));
    expect(taken.filter((id) => id !== null)).toHaveLength(3);
    expect(await leaseCount()).toBe(3);
  });

  it('free the slots of leases nobody renewed once they expire', async () => {
    const kept = await take('user:a');
    // Its process died: never renewed.
    await take('user:a');
    await renewStreamLeases(database.db, [kept as string], at(TTL_MS + 10_000));

    expect(await take('user:a', at(TTL_MS - 1))).toBeNull();
    // Past the dead one's expiry, its slot is taken again; the renewed one still counts.
    expect(await take('user:a', at(TTL_MS))).not.toBeNull();
    expect(await take('user:a', at(TTL_MS))).toBeNull();
  });

  it('are swept once expired, whoever owned them', async () => {
    await take('user:a');
    await take('user:b', at(10_000));
    await deleteExpiredStreamLeases(database.db, at(TTL_MS));
    expect(await leaseCount()).toBe(1);
    await deleteExpiredStreamLeases(database.db, at(TTL_MS + 10_000));
    expect(await leaseCount()).toBe(0);
  });
});
