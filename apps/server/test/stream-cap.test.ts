import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unique } from './support/accounts.js';
import { type ProcessGroup, signUpOn, startProcesses } from './support/processes.js';
import { streamOpener } from './support/streams.js';

// MAX_STREAMS_PER_USER over two server processes on one database: the slots are leases in
// the database, so a user cannot hold the cap on each process.

const CAP = 2;

let group: ProcessGroup;
const streams = streamOpener(() => group.urls[0] as string);

beforeAll(async () => {
  group = await startProcesses(2, { MAX_STREAMS_PER_USER: String(CAP) });
});

afterAll(async () => {
  streams.closeAll();
  const codes = await group?.stop();
  expect(codes).toEqual([0, 0]);
});

/** A signed-up user with a workspace, on the first process. */
async function userWithWorkspace(tag: string) {
  const user = await signUpOn(group.urls[0] as string, tag);
  const workspace = await user.client.workspaces.create.mutate({
    name: tag,
    slug: unique(tag).toLowerCase(),
  });
  return { token: user.token, workspaceId: workspace.id };
}

describe('MAX_STREAMS_PER_USER over two processes', () => {
  it('holds over both: no more streams on B once A holds the cap, and a freed slot serves either', async () => {
    const [a, b] = group.urls as [string, string];
    const alice = await userWithWorkspace('alice');
    const bob = await userWithWorkspace('bob');
    const open = (on: string) => streams.open(alice.token, alice.workspaceId, { on });

    const first = await open(a);
    const second = await open(b);
    expect([first.response.status, second.response.status]).toEqual([200, 200]);
    // Each process holds one of hers: a per-process count would let both take another.
    expect((await open(a)).response.status).toBe(429);
    expect((await open(b)).response.status).toBe(429);
    // Bob's slots are his own, on either process.
    expect((await streams.open(bob.token, bob.workspaceId, { on: b })).response.status).toBe(200);

    // A stream closed on A gives its slot back to the user, wherever they open the next.
    first.close();
    expect(await streams.openOnceFreed(alice.token, alice.workspaceId, { on: b })).toBe(200);
    expect((await open(a)).response.status).toBe(429);
  });
});
