import { issueEmailToken } from '@trellis/auth';
import { testDatabaseDialect } from '@trellis/db/testing';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import { digestCandidatesQuery } from '../queries/digests.js';
import { getPreferences, updatePreferences } from '../queries/inbox.js';
import { insertNotifications, type NewNotification } from '../queries/notifications.js';
import { unsubscribeProcedures } from '../routers/notifications-unsubscribe.js';
import {
  type Harness,
  harnessForEachTest,
  type TestClock,
  testConfig,
  testRequest,
} from '../test/harness.js';
import { assignedNote } from '../test/people-fixtures.js';
import { postgresPlan, seqScansOf } from '../test/postgres-plans.js';
import { sqlitePlan } from '../test/sqlite-plans.js';
import { MINUTE_MS, START, taskFixtures } from '../test/task-fixtures.js';
import { createCallerFactory, router } from '../trpc.js';
import { runDigests } from './digest.js';

// Email digests with an injected clock: one mail per person and interval listing what is
// unread and unmailed, to verified addresses of people who want them, never listing a
// workspace they left, once across concurrent passes; and the link that turns them off.

let harness: Harness;
let clock: TestClock;
harnessForEachTest(START, (current, currentClock) => {
  harness = current;
  clock = currentClock;
});
const { team } = taskFixtures(() => harness);

/** A mailer that keeps what it is handed (the SMTP path is tested over HTTP). */
function keepingMailer(): Mailer & { mails: MailMessage[] } {
  const mails: MailMessage[] = [];
  return { mails, send: (mail) => mails.push(mail) };
}

const note = assignedNote;

const write = (list: NewNotification[]) =>
  harness.db.transaction().execute((trx) => insertNotifications(trx, list, clock.now()));

const pass = (mailer: Mailer) =>
  runDigests(harness.db, clock.now(), {
    limit: 100,
    mailer,
    publicUrl: 'https://trellis.example',
  });

/** The unsubscribe procedure, called without credentials as a browser would. */
function unsubscribe(token: string) {
  const caller = createCallerFactory(router(unsubscribeProcedures))(() =>
    createContext({
      db: harness.db,
      config: { ...testConfig, clock: clock.now },
      req: testRequest(),
      setCookie: () => {},
      setHeader: () => {},
    }),
  );
  return caller.unsubscribe({ token });
}

const tokenOf = (mail: MailMessage | undefined) =>
  decodeURIComponent(mail?.links.at(-1)?.split('#token=')[1] ?? '');

describe('runDigests', () => {
  it('mails one digest per interval listing what is unread and unmailed', async () => {
    const { owner, member, workspaceId } = await team();
    const mailer = keepingMailer();
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    expect(await pass(mailer)).toBe(1);
    expect(mailer.mails).toHaveLength(1);
    const [mail] = mailer.mails;
    expect(mail?.to).toBe(member.email);
    expect(mail?.subject).toBe('2 new notifications in Trellis');
    expect(mail?.text).toContain('Acme · ENG-1 Fix the roof: Olive Owner assigned it to you');
    expect(mail?.links.at(-1)).toMatch(/^https:\/\/trellis\.example\/unsubscribe#token=tru_/);

    expect(await pass(mailer)).toBe(0);
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    clock.advance(10 * MINUTE_MS);
    expect(await pass(mailer)).toBe(0);
    clock.advance(5 * MINUTE_MS);
    expect(await pass(mailer)).toBe(1);
    expect(mailer.mails[1]?.subject).toBe('1 new notification in Trellis');
  });

  it('leaves out read notifications, unverified addresses and people who turned email off', async () => {
    const { owner, member, viewer, workspaceId } = await team();
    const unverified = await harness.signUpUser('Una Unverified', { verified: false });
    await harness.addMember(workspaceId, unverified.user.id, 'member');
    await updatePreferences(harness.db, viewer.user.id, { email: false });
    await write(
      [member, viewer, unverified].map((person) =>
        note(person.user.id, workspaceId, owner.user.id),
      ),
    );
    await harness.db
      .updateTable('notifications')
      .set({ read_at: clock.now().toISOString() })
      .where('user_id', '=', member.user.id)
      .execute();
    const mailer = keepingMailer();
    expect(await pass(mailer)).toBe(0);
    // Turning email on later does not mail what came while it was off.
    await updatePreferences(harness.db, viewer.user.id, { email: true });
    expect(await pass(mailer)).toBe(0);
  });

  it('never lists a workspace the person left', async () => {
    const { owner, member, workspaceId } = await team();
    const other = await owner.api.workspaces.create({ name: 'Other', slug: 'other' });
    await harness.addMember(other.id, member.user.id, 'member');
    await write([note(member.user.id, other.id, owner.user.id)]);
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    await harness.db
      .deleteFrom('memberships')
      .where('workspace_id', '=', other.id)
      .where('user_id', '=', member.user.id)
      .execute();
    const mailer = keepingMailer();
    expect(await pass(mailer)).toBe(1);
    expect(mailer.mails[0]?.subject).toBe('1 new notification in Trellis');
    expect(mailer.mails[0]?.text).not.toContain('Other');

    // Only a left workspace's news waiting: no mail, and no interval spent on it.
    await harness.addMember(other.id, member.user.id, 'member');
    await write([note(member.user.id, other.id, owner.user.id)]);
    await harness.db.deleteFrom('memberships').where('workspace_id', '=', other.id).execute();
    clock.advance(15 * MINUTE_MS);
    expect(await pass(mailer)).toBe(0);
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    expect(await pass(mailer)).toBe(1);
  });

  it('sends each digest once when passes run at the same time', async () => {
    const { owner, member, viewer, workspaceId } = await team();
    await write([
      note(member.user.id, workspaceId, owner.user.id),
      note(viewer.user.id, workspaceId, owner.user.id),
    ]);
    const mailer = keepingMailer();
    const counts = await Promise.all([pass(mailer), pass(mailer), pass(mailer)]);
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(2);
    expect(mailer.mails.map((mail) => mail.to).sort()).toEqual([member.email, viewer.email].sort());
  });
});

describe('notifications.unsubscribe', () => {
  it('turns email off for the digest’s recipient, again without error', async () => {
    const { owner, member, workspaceId } = await team();
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    const mailer = keepingMailer();
    await pass(mailer);
    const token = tokenOf(mailer.mails[0]);
    expect(await unsubscribe(token)).toEqual({ ok: true, email: false });
    expect((await getPreferences(harness.db, member.user.id)).email).toBe(false);
    expect(await unsubscribe(token)).toEqual({ ok: true, email: false });
    expect((await getPreferences(harness.db, owner.user.id)).email).toBe(true);
  });

  it('refuses forged, unmailed, expired and other-purpose tokens with 400, changing nothing', async () => {
    const { owner, member, workspaceId } = await team();
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    const [unmailed] = await harness.db.selectFrom('notifications').select('id').execute();
    const verifyToken = await harness.db.transaction().execute((trx) =>
      issueEmailToken(trx, {
        userId: member.user.id,
        purpose: 'verify_email',
        email: member.email,
        ttlMs: MINUTE_MS,
        now: clock.now(),
      }),
    );
    const mailer = keepingMailer();
    await pass(mailer);
    const mailed = tokenOf(mailer.mails[0]);
    clock.advance(61 * 24 * 60 * MINUTE_MS);
    for (const token of [
      'tru_AAAAAAAAAAAAAAAAAAAAAA',
      `tru_${unmailed?.id.slice(0, 21)}`,
      verifyToken,
      mailed,
      member.token,
      `tru_${mailed.slice(4)}x`,
    ]) {
      const error = await unsubscribe(token).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, token).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('BAD_REQUEST');
    }
    expect((await getPreferences(harness.db, member.user.id)).email).toBe(true);
  });

  it('needs the digest’s own secret: a mailed notification’s id alone, or with another digest’s secret, is refused', async () => {
    const { owner, member, workspaceId } = await team();
    const mailer = keepingMailer();
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    await pass(mailer);
    clock.advance(15 * MINUTE_MS);
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    await pass(mailer);
    const [first, second] = mailer.mails.map(tokenOf);
    if (!first || !second) throw new Error('expected two digests');
    expect(first).not.toBe(second);
    const idOf = (token: string) => token.slice(4, 26);
    const secretOf = (token: string) => token.slice(27);
    // The ids a person sees in their inbox are not the link.
    const mailedIds = await harness.db
      .selectFrom('notifications')
      .select('id')
      .where('user_id', '=', member.user.id)
      .execute();
    for (const token of [
      ...mailedIds.map(({ id }) => `tru_${id}`),
      `tru_${idOf(first)}.${secretOf(second)}`,
      `tru_${idOf(second)}.${secretOf(first)}`,
    ]) {
      await expect(unsubscribe(token), token).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect((await getPreferences(harness.db, member.user.id)).email).toBe(true);
    // Each digest's own link works, the older one too.
    expect(await unsubscribe(first)).toEqual({ ok: true, email: false });
    await updatePreferences(harness.db, member.user.id, { email: true });
    expect(await unsubscribe(second)).toEqual({ ok: true, email: false });
  });

  it('refuses the id of a notification that was never mailed', async () => {
    const { owner, member, workspaceId } = await team();
    await updatePreferences(harness.db, member.user.id, { email: false });
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    await updatePreferences(harness.db, member.user.id, { email: true });
    const [row] = await harness.db.selectFrom('notifications').select('id').execute();
    await expect(unsubscribe(`tru_${row?.id}`)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await getPreferences(harness.db, member.user.id)).email).toBe(true);
  });
});

describe.runIf(testDatabaseDialect() === 'sqlite')('the digest scan’s plan on SQLite', () => {
  it('reads only notifications_unmailed_idx', async () => {
    const plan = await sqlitePlan(harness.db, digestCandidatesQuery(harness.db, 100));
    const onNotifications = plan.filter((line) => /\bnotifications\b/.test(line));
    expect(onNotifications, plan.join(' | ')).toEqual([
      'SCAN notifications USING INDEX notifications_unmailed_idx',
    ]);
  });
});

describe.runIf(testDatabaseDialect() === 'postgres')('the digest scan’s plan on PostgreSQL', () => {
  it('never scans notifications, beside 3,000 mailed ones', async () => {
    const { owner, member, workspaceId } = await team();
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    await sql`insert into notifications (id, user_id, seq, workspace_id, kind, data, created_at,
        emailed_at)
      select 'mailed-' || i, ${owner.user.id}, 1000 + i, ${workspaceId}, 'assigned', '{}',
        '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z'
      from generate_series(1, 3000) as i`.execute(harness.db);
    await sql`analyze notifications`.execute(harness.db);
    const nodes = await postgresPlan(harness.db, digestCandidatesQuery(harness.db, 100).compile());
    expect(seqScansOf(nodes, 'notifications')).toEqual([]);
    expect(nodes.map((node) => node['Index Name'])).toContain('notifications_unmailed_idx');
  });
});
