import { createHash } from 'node:crypto';
import type { ApiTokenScope } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import {
  type Harness,
  harnessForEachTest,
  rejection,
  type TestClock,
  testConfig,
  testRequest,
} from '../test/harness.js';
import { createCallerFactory, router, workspaceInput, workspaceProcedure } from '../trpc.js';

const START = new Date('2030-06-01T09:00:00.000Z');
const SECOND_MS = 1000;
const DAY_MS = 24 * 60 * 60 * SECOND_MS;
/** `trl_` followed by a 24-character lookup id and a 32-character secret. */
const ID_END = 'trl_'.length + 24;

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

const iso = (ms: number) => new Date(ms).toISOString();
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const secretOf = (token: string) => token.slice(ID_END);

/**
 * No data-plane mutation (tasks, comments…) exists yet, so the rule that `read` tokens
 * never mutate is checked through a probe: a mutation a plain member may call.
 */
const probeRouter = router({
  touch: workspaceProcedure('member')
    .input(workspaceInput.strict())
    .mutation(({ ctx }) => ({ actor: ctx.actor, role: ctx.workspace.role })),
});
const createProbeCaller = createCallerFactory(probeRouter);

/** The probe router, called with `Authorization: Bearer <token>`. */
function probeAs(token: string) {
  return createProbeCaller(
    createContext({
      db: harness.db,
      config: { ...testConfig, clock: clock.now },
      req: testRequest({ authorization: `Bearer ${token}` }),
      setCookie: () => undefined,
      setHeader: () => undefined,
    }),
  );
}

/** Every API token row of a workspace, as stored. */
function tokenRowsOf(workspaceId: string) {
  return harness.db
    .selectFrom('api_tokens')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute();
}

/** One API token row, as stored. */
function tokenRow(tokenId: string) {
  return harness.db
    .selectFrom('api_tokens')
    .selectAll()
    .where('id', '=', tokenId)
    .executeTakeFirstOrThrow();
}

/** The name the workspace has in the database. */
async function storedName(workspaceId: string): Promise<string | undefined> {
  const row = await harness.db
    .selectFrom('workspaces')
    .select('name')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  return row?.name;
}

/** An owner's workspace with an admin and a member. */
async function team() {
  const owner = await harness.signUpUser('Olive Owner');
  const admin = await harness.signUpUser('Adam Admin');
  const member = await harness.signUpUser('Mia Member');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  await harness.addMember(workspace.id, admin.user.id, 'admin');
  await harness.addMember(workspace.id, member.user.id, 'member');
  return { owner, admin, member, workspace, workspaceId: workspace.id };
}

/** A team whose admin has created a token of `scope`; `token` acts as it. */
async function teamWithToken(scope: ApiTokenScope, expiresInDays?: number) {
  const fixture = await team();
  const created = await fixture.admin.api.apiTokens.create({
    workspaceId: fixture.workspaceId,
    name: 'CI',
    scope,
    ...(expiresInDays === undefined ? {} : { expiresInDays }),
  });
  return { ...fixture, created, token: harness.as(created.token) };
}

describe('apiTokens.create', () => {
  it('gives an admin a trl_ token, storing only a hash of its secret', async () => {
    const { admin, workspaceId } = await team();

    const created = await admin.api.apiTokens.create({ workspaceId, name: ' CI ', scope: 'read' });

    expect(created).toEqual({
      id: expect.any(String),
      name: 'CI',
      scope: 'read',
      createdBy: admin.user.id,
      createdAt: START.toISOString(),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      token: expect.stringMatching(/^trl_[a-z2-9]{56}$/),
    });
    const rows = await tokenRowsOf(workspaceId);
    expect(rows).toEqual([
      {
        id: created.id,
        workspace_id: workspaceId,
        name: 'CI',
        scope: 'read',
        secret_hash: sha256(secretOf(created.token)),
        created_by: admin.user.id,
        created_at: START.toISOString(),
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(secretOf(created.token));
  });

  it('never shows the token or its secret again', async () => {
    const { admin, workspaceId } = await team();
    const { token, ...info } = await admin.api.apiTokens.create({
      workspaceId,
      name: 'CI',
      scope: 'write',
    });

    const list = await admin.api.apiTokens.list({ workspaceId });

    expect(list).toEqual([info]);
    expect(JSON.stringify(list)).not.toContain(secretOf(token));
  });

  it('sets expiresAt expiresInDays ahead', async () => {
    const { admin, workspaceId } = await team();

    const created = await admin.api.apiTokens.create({
      workspaceId,
      name: 'CI',
      scope: 'read',
      expiresInDays: 30,
    });

    const expiresAt = iso(START.getTime() + 30 * DAY_MS);
    expect(created.expiresAt).toBe(expiresAt);
    expect((await tokenRow(created.id)).expires_at).toBe(expiresAt);
  });

  it('refuses a member with FORBIDDEN, writing nothing', async () => {
    const { member, workspaceId } = await team();

    const error = await rejection(
      member.api.apiTokens.create({ workspaceId, name: 'CI', scope: 'read' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect(await tokenRowsOf(workspaceId)).toEqual([]);
  });

  it('answers a non-member with NOT_FOUND, writing nothing', async () => {
    const { workspaceId } = await team();
    const stranger = await harness.signUpUser('Stranger');

    const error = await rejection(
      stranger.api.apiTokens.create({ workspaceId, name: 'CI', scope: 'read' }),
    );

    expect(error.code).toBe('NOT_FOUND');
    expect(await tokenRowsOf(workspaceId)).toEqual([]);
  });
});

describe('a read token', () => {
  it('reads its workspace as a viewer: workspaces.get and members.list', async () => {
    const { owner, workspace, workspaceId, token } = await teamWithToken('read');

    const seen = await token.workspaces.get({ workspaceId });
    const members = await token.members.list({ workspaceId });

    expect(seen).toEqual({ ...workspace, role: 'viewer' });
    expect(members).toEqual(await owner.api.members.list({ workspaceId }));
  });

  it('is refused any mutation with FORBIDDEN, even one a member may make', async () => {
    const { workspaceId, created } = await teamWithToken('read');

    const error = await rejection(probeAs(created.token).touch({ workspaceId }));

    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/read-only/);
  });

  it('cannot manage the workspace, members or tokens: FORBIDDEN, nothing written', async () => {
    const { workspaceId, token } = await teamWithToken('read');

    const errors = await Promise.all([
      rejection(token.workspaces.update({ workspaceId, name: 'Hijacked' })),
      rejection(token.members.invite({ workspaceId, email: 'eve@example.com', role: 'admin' })),
      rejection(token.apiTokens.list({ workspaceId })),
    ]);

    expect(errors.map((error) => error.code)).toEqual(Array(3).fill('FORBIDDEN'));
    expect(await storedName(workspaceId)).toBe('Acme');
    expect(await harness.db.selectFrom('invites').select('id').execute()).toEqual([]);
  });
});

describe('a write token', () => {
  it('mutates as a member, on behalf of the admin who created it', async () => {
    const { admin, workspaceId, created } = await teamWithToken('write');

    const result = await probeAs(created.token).touch({ workspaceId });

    expect(result).toEqual({
      actor: { userId: admin.user.id, apiTokenId: created.id },
      role: 'member',
    });
  });

  it('cannot manage members, tokens or the workspace: FORBIDDEN, nothing written', async () => {
    const { member, workspaceId, created, token } = await teamWithToken('write');
    const rowsBefore = await tokenRowsOf(workspaceId);

    const errors = await Promise.all([
      rejection(token.members.invite({ workspaceId, email: 'eve@example.com', role: 'admin' })),
      rejection(token.members.updateRole({ workspaceId, userId: member.user.id, role: 'admin' })),
      rejection(token.members.remove({ workspaceId, userId: member.user.id })),
      rejection(token.apiTokens.create({ workspaceId, name: 'More', scope: 'write' })),
      rejection(token.apiTokens.revoke({ workspaceId, tokenId: created.id })),
      rejection(token.workspaces.update({ workspaceId, name: 'Hijacked' })),
      rejection(token.workspaces.delete({ workspaceId })),
    ]);

    expect(errors.map((error) => error.code)).toEqual(Array(7).fill('FORBIDDEN'));
    expect(await harness.db.selectFrom('invites').select('id').execute()).toEqual([]);
    const rowsAfter = await tokenRowsOf(workspaceId);
    expect(rowsAfter.map(({ last_used_at: _, ...row }) => row)).toEqual(
      rowsBefore.map(({ last_used_at: _, ...row }) => row),
    );
    expect(await storedName(workspaceId)).toBe('Acme');
    expect(
      await harness.db
        .selectFrom('memberships')
        .select('role')
        .where('user_id', '=', member.user.id)
        .execute(),
    ).toEqual([{ role: 'member' }]);
  });
});

describe('a token outside its workspace', () => {
  it('answers another workspace with NOT_FOUND, even one its creator owns', async () => {
    const { admin, created, token } = await teamWithToken('write');
    const other = await admin.api.workspaces.create({ name: 'Other', slug: 'other' });
    const missing = await rejection(token.workspaces.get({ workspaceId: 'no-such-workspace' }));

    const errors = await Promise.all([
      rejection(token.workspaces.get({ workspaceId: other.id })),
      rejection(token.members.list({ workspaceId: other.id })),
      rejection(token.apiTokens.list({ workspaceId: other.id })),
      rejection(probeAs(created.token).touch({ workspaceId: other.id })),
    ]);

    expect(errors.map((error) => error.code)).toEqual(Array(4).fill('NOT_FOUND'));
    expect(errors[0]?.message).toBe(missing.message);
  });

  it('is refused account procedures with FORBIDDEN, writing nothing', async () => {
    const { token } = await teamWithToken('write');

    const errors = await Promise.all([
      rejection(token.auth.me()),
      rejection(token.workspaces.list()),
      rejection(token.workspaces.create({ name: 'Token Co', slug: 'token-co' })),
    ]);

    expect(errors.map((error) => error.code)).toEqual(Array(3).fill('FORBIDDEN'));
    expect(await harness.db.selectFrom('workspaces').select('slug').execute()).toEqual([
      { slug: 'acme' },
    ]);
  });

  it('is refused with UNAUTHORIZED when sent as the session cookie', async () => {
    const { workspaceId, created } = await teamWithToken('read');
    const { api } = harness.caller({ cookie: `trellis_session=${created.token}` });

    const error = await rejection(api.workspaces.get({ workspaceId }));

    expect(error.code).toBe('UNAUTHORIZED');
    expect((await tokenRow(created.id)).last_used_at).toBeNull();
  });
});

describe('apiTokens.revoke', () => {
  it('stops the token at once: its next call is UNAUTHORIZED', async () => {
    const { admin, workspaceId, created, token } = await teamWithToken('read');
    await token.workspaces.get({ workspaceId });
    clock.advance(SECOND_MS);

    expect(await admin.api.apiTokens.revoke({ workspaceId, tokenId: created.id })).toEqual({
      ok: true,
    });

    const error = await rejection(token.workspaces.get({ workspaceId }));
    expect(error.code).toBe('UNAUTHORIZED');
    expect((await tokenRow(created.id)).revoked_at).toBe(iso(START.getTime() + SECOND_MS));
    expect(await admin.api.apiTokens.list({ workspaceId })).toMatchObject([
      { id: created.id, revokedAt: iso(START.getTime() + SECOND_MS) },
    ]);
  });

  it('answers a second revocation with NOT_FOUND, keeping the first time', async () => {
    const { admin, workspaceId, created } = await teamWithToken('read');
    await admin.api.apiTokens.revoke({ workspaceId, tokenId: created.id });
    clock.advance(SECOND_MS);

    const error = await rejection(admin.api.apiTokens.revoke({ workspaceId, tokenId: created.id }));

    expect(error.code).toBe('NOT_FOUND');
    expect((await tokenRow(created.id)).revoked_at).toBe(START.toISOString());
  });

  it('answers a revocation through another workspace with NOT_FOUND; the token still works', async () => {
    const { admin, workspaceId, created, token } = await teamWithToken('read');
    const other = await admin.api.workspaces.create({ name: 'Other', slug: 'other' });

    const error = await rejection(
      admin.api.apiTokens.revoke({ workspaceId: other.id, tokenId: created.id }),
    );

    expect(error.code).toBe('NOT_FOUND');
    expect((await tokenRow(created.id)).revoked_at).toBeNull();
    expect(await token.workspaces.get({ workspaceId })).toMatchObject({ id: workspaceId });
  });

  it('refuses a member with FORBIDDEN; the token still works', async () => {
    const { member, workspaceId, created, token } = await teamWithToken('read');

    const error = await rejection(
      member.api.apiTokens.revoke({ workspaceId, tokenId: created.id }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect((await tokenRow(created.id)).revoked_at).toBeNull();
    expect(await token.workspaces.get({ workspaceId })).toMatchObject({ id: workspaceId });
  });
});

describe('a token’s lifetime', () => {
  it('works until its expiry, then is UNAUTHORIZED', async () => {
    const { workspaceId, token } = await teamWithToken('read', 1);
    clock.advance(DAY_MS - 1);
    await token.workspaces.get({ workspaceId });
    clock.advance(2);

    const error = await rejection(token.workspaces.get({ workspaceId }));

    expect(error.code).toBe('UNAUTHORIZED');
  });

  it('ends with UNAUTHORIZED when its creator is removed from the workspace', async () => {
    const { owner, admin, workspaceId, token } = await teamWithToken('write');
    await owner.api.members.remove({ workspaceId, userId: admin.user.id });

    const error = await rejection(token.workspaces.get({ workspaceId }));

    expect(error.code).toBe('UNAUTHORIZED');
  });

  it.each(['member', 'viewer'] as const)(
    'ends with UNAUTHORIZED when its creator is demoted to %s',
    async (role) => {
      const { owner, admin, workspaceId, token } = await teamWithToken('write');
      await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role });

      const error = await rejection(token.workspaces.get({ workspaceId }));

      expect(error.code).toBe('UNAUTHORIZED');
    },
  );

  it('keeps working when its creator is promoted to owner', async () => {
    const { owner, admin, workspaceId, token } = await teamWithToken('read');
    await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role: 'owner' });

    expect(await token.workspaces.get({ workspaceId })).toMatchObject({ role: 'viewer' });
  });
});

describe('lastUsedAt', () => {
  it('is null until the first use, which records the time', async () => {
    const { admin, workspaceId, created, token } = await teamWithToken('read');
    expect(await admin.api.apiTokens.list({ workspaceId })).toMatchObject([{ lastUsedAt: null }]);
    clock.advance(5 * SECOND_MS);

    await token.workspaces.get({ workspaceId });

    const usedAt = iso(START.getTime() + 5 * SECOND_MS);
    expect((await tokenRow(created.id)).last_used_at).toBe(usedAt);
    expect(await admin.api.apiTokens.list({ workspaceId })).toMatchObject([{ lastUsedAt: usedAt }]);
  });

  it('is not rewritten by another use within a minute', async () => {
    const { workspaceId, created, token } = await teamWithToken('read');
    await token.workspaces.get({ workspaceId });
    clock.advance(59 * SECOND_MS);

    await token.workspaces.get({ workspaceId });

    expect((await tokenRow(created.id)).last_used_at).toBe(START.toISOString());
  });

  it('is rewritten by a use 61 seconds later', async () => {
    const { workspaceId, created, token } = await teamWithToken('read');
    await token.workspaces.get({ workspaceId });
    clock.advance(61 * SECOND_MS);

    await token.workspaces.get({ workspaceId });

    expect((await tokenRow(created.id)).last_used_at).toBe(iso(START.getTime() + 61 * SECOND_MS));
  });
});
