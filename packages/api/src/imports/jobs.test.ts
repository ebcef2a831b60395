import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { isoNow, newId } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createImportJob,
  failAbandonedJobs,
  finishImportJob,
  getImportJob,
  importJobView,
  processOwner,
  progressReporter,
} from './jobs.js';

const NOW = new Date('2030-06-01T09:00:00.000Z');

let database: TestDatabase;
let userId: string;
beforeEach(async () => {
  database = await createTestDatabase();
  userId = newId();
  await database.db
    .insertInto('users')
    .values({
      id: userId,
      email: `${userId}@example.com`,
      name: 'U',
      handle: 'u',
      created_at: isoNow(NOW),
      updated_at: isoNow(NOW),
    })
    .execute();
});
afterEach(async () => {
  await database.destroy();
});

async function workspace(): Promise<string> {
  const id = newId();
  await database.db
    .insertInto('workspaces')
    .values({
      id,
      name: 'W',
      slug: `w-${id.toLowerCase().replace(/[^a-z0-9]/g, '')}`,
      created_at: isoNow(NOW),
      updated_at: isoNow(NOW),
    })
    .execute();
  return id;
}

/** A process id that is not running any more: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid as number;
}

describe('import jobs', () => {
  it('go from queued to running to an end, with progress a poller can read', async () => {
    const job = await createImportJob(database.db, {
      kind: 'workspace',
      userId,
      workspaceId: null,
      file: '/tmp/x',
      now: NOW,
    });
    expect(importJobView(job)).toMatchObject({
      status: 'queued',
      phase: 'queued',
      done: 0,
      total: null,
      report: null,
    });
    const progress = progressReporter(database.db, job.id, 60_000);
    await progress.report({ phase: 'tasks', done: 10, total: 100 });
    // Same phase within the interval: kept for flush().
    await progress.report({ phase: 'tasks', done: 20, total: 100 });
    expect(await getImportJob(database.db, job.id)).toMatchObject({
      status: 'running',
      done: 10,
      total: 100,
    });
    await progress.flush();
    expect(await getImportJob(database.db, job.id)).toMatchObject({ done: 20 });
    await finishImportJob(database.db, job.id, { status: 'succeeded', report: { n: 1 } }, NOW);
    const row = await getImportJob(database.db, job.id);
    if (!row) throw new Error('the job is gone');
    const ended = importJobView(row);
    expect(ended).toMatchObject({
      status: 'succeeded',
      phase: 'succeeded',
      report: { n: 1 },
      finishedAt: isoNow(NOW),
    });
    // An ended job stays as it ended.
    await finishImportJob(database.db, job.id, { status: 'failed', error: 'late' });
    expect(await getImportJob(database.db, job.id)).toMatchObject({
      status: 'succeeded',
      error: null,
    });
  });

  it("fail the jobs of this machine's dead processes at start, removing a workspace import's workspace", async () => {
    const dead = `${hostname()}:${await deadPid()}`;
    const make = async (
      owner: string,
      kind: 'workspace' | 'tasks.csv',
      workspaceId: string | null,
    ) => {
      const job = await createImportJob(database.db, {
        kind,
        userId,
        workspaceId,
        file: `/tmp/${owner}`,
        now: NOW,
      });
      await database.db
        .updateTable('import_jobs')
        .set({ owner, status: 'running' })
        .where('id', '=', job.id)
        .execute();
      return job.id;
    };
    const halfMade = await workspace();
    const csvTarget = await workspace();
    const abandoned = await make(dead, 'workspace', halfMade);
    const abandonedCsv = await make(dead, 'tasks.csv', csvTarget);
    const alive = await make(`${hostname()}:${process.ppid}:token`, 'workspace', null);
    const elsewhere = await make('another-machine:1', 'workspace', null);
    // This very process (another server of it started): its running job is not abandoned.
    const ours = await make(processOwner(), 'tasks.csv', csvTarget);
    // An earlier process that had this pid: same pid, another token.
    const reused = `${hostname()}:${process.pid}:earlier`;
    const before = await make(reused, 'tasks.csv', csvTarget);

    const files = await failAbandonedJobs(database.db, NOW);
    expect(files.sort()).toEqual([`/tmp/${dead}`, `/tmp/${dead}`, `/tmp/${reused}`].sort());
    expect(await getImportJob(database.db, before)).toMatchObject({ status: 'failed' });
    expect(await getImportJob(database.db, ours)).toMatchObject({ status: 'running' });
    for (const id of [abandoned, abandonedCsv]) {
      expect(await getImportJob(database.db, id)).toMatchObject({
        status: 'failed',
        error: 'interrupted',
        workspace_id: null,
      });
    }
    for (const id of [alive, elsewhere]) {
      expect(await getImportJob(database.db, id)).toMatchObject({ status: 'running' });
    }
    const left = await database.db.selectFrom('workspaces').select('id').execute();
    expect(left.map((w) => w.id)).toEqual([csvTarget]);
  });
});
