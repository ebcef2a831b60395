// The CSV task import run in-process against a real SQLite file: what rows become, what
// is refused and why, and that a row's task and log entry are tasks.create's. The HTTP
// route, both dialects and the 10,000-row case are apps/server/test/imports-csv*.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest } from '../test/harness.js';
import { START, taskFixtures } from '../test/task-fixtures.js';
import { csvImportOptions, runCsvTaskImport } from './csv-tasks.js';
import type { ImportProgress, ProgressReporter } from './jobs.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, activityOf } = taskFixtures(() => harness);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'csv-tasks-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Every progress report, in order; `beforeWriting` runs between the two passes. */
function recorder(
  beforeWriting: () => Promise<void> = async () => {},
): ProgressReporter & { seen: ImportProgress[] } {
  const seen: ImportProgress[] = [];
  return {
    seen,
    report: async (progress) => {
      seen.push(progress);
      if (progress.phase === 'writing' && progress.done === 0) await beforeWriting();
    },
    flush: async () => {},
  };
}

let files = 0;
/** Imports `text` into the team's project as `actor`, with query-string options. */
async function importCsv(
  text: string | Buffer,
  target: { workspaceId: string; projectId: string; actor: { id: string } },
  query: Record<string, string> = {},
  beforeWriting?: () => Promise<void>,
) {
  files += 1;
  const file = join(dir, `upload-${files}.csv`);
  await writeFile(file, text);
  const progress = recorder(beforeWriting);
  const options = csvImportOptions({ projectId: target.projectId, ...query });
  const outcome = await runCsvTaskImport(
    harness.db,
    {
      file,
      workspaceId: target.workspaceId,
      actor: { userId: target.actor.id, apiTokenId: null },
      options,
    },
    () => START,
    progress,
  );
  return { ...outcome, progress: progress.seen };
}

async function storedTitles(workspaceId: string) {
  const rows = await harness.db
    .selectFrom('tasks')
    .select(['number', 'title'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('number')
    .execute();
  return rows.map((row) => `${row.number} ${row.title}`);
}

describe('CSV task import', () => {
  it('makes the same task and task.created entry as tasks.create', async () => {
    const { member, workspaceId, projectId } = await team();
    const made = await member.api.tasks.create({
      projectId,
      title: 'Fix login',
      description: 'Line one\nline two',
      status: 'in_progress',
      priority: 3,
      assigneeId: member.user.id,
      labels: ['ui', 'bug'],
      dueAt: '2030-07-01T00:00:00.000Z',
    });
    const csv =
      'Title,Description,Status,Priority,Assignee,Labels,Due date\n' +
      `Fix login,"Line one\nline two",In Progress,high,${member.email.toUpperCase()},"ui, bug",2030-07-01\n`;

    const outcome = await importCsv(csv, { workspaceId, projectId, actor: member.user });

    expect(outcome).toMatchObject({
      status: 'succeeded',
      report: { rows: 1, created: 1, invalid: 0, errors: [], firstKey: 'ENG-2', lastKey: 'ENG-2' },
    });
    const log = await activityOf(workspaceId);
    const [byCreate, byImport] = log.filter((entry) => entry.type === 'task.created');
    const same = (task: unknown) => ({ ...(task as object), id: 'x', number: 0, key: 'x' });
    expect(same(byImport?.data.task)).toEqual(same(byCreate?.data.task));
    expect(byImport).toMatchObject({ actor_id: member.user.id, project_id: projectId });
    expect(made.key).toBe('ENG-1');
  });

  it('refuses the whole file when a row is bad, naming each bad row and field', async () => {
    const { member, outsider, workspaceId, projectId } = await team();
    const csv = [
      'title,priority,assignee,dueAt,status',
      'ok one,1,,,',
      ',2,,,',
      'ok two,9,,,',
      `ok three,,${outsider.email},,`,
      'ok four,,,next week,',
      'ok five,,,,doing',
      'ok six,soon,,,',
      'ok seven,High,,2030-07-01T10:00:00+02:00,In-Progress',
    ].join('\r\n');

    const outcome = await importCsv(csv, { workspaceId, projectId, actor: member.user });

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/^6 rows of 8 invalid; nothing was imported/);
    expect(outcome.report).toMatchObject({ rows: 8, created: 0, invalid: 6, errorCount: 6 });
    const errors = outcome.report?.errors as { row: number; field: string }[];
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [3, 'title'],
      [4, 'priority'],
      [5, 'assignee'],
      [6, 'dueAt'],
      [7, 'status'],
      [8, 'priority'],
    ]);
    expect(errors.at(-1)).toMatchObject({
      message: 'Must be 0–4, or none, low, medium, high or urgent',
    });
    expect(await storedTitles(workspaceId)).toEqual([]);
  });

  it('imports the valid rows with skipInvalid and reports the skipped ones', async () => {
    const { member, workspaceId, projectId } = await team();
    const csv = 'title\nfirst\n\nsecond\n"bad\nline"\nthird\n';

    const outcome = await importCsv(
      csv,
      { workspaceId, projectId, actor: member.user },
      { skipInvalid: 'true' },
    );

    expect(outcome).toMatchObject({
      status: 'succeeded',
      report: {
        rows: 4,
        created: 3,
        invalid: 1,
        errors: [{ row: 5, field: 'title', message: 'Must be one line of text' }],
        firstKey: 'ENG-1',
        lastKey: 'ENG-3',
      },
    });
    expect(await storedTitles(workspaceId)).toEqual(['1 first', '2 second', '3 third']);
  });

  it('reads columns by map.<field>, a BOM, quotes and CRLF', async () => {
    const { member, workspaceId, projectId } = await team();
    const csv = Buffer.from(
      '\uFEFFSummary,Title,Notes\r\n"Say ""hi"", then go",ignored,"a,b\r\nc"\r\n',
    );

    const outcome = await importCsv(
      csv,
      { workspaceId, projectId, actor: member.user },
      { 'map.title': 'summary', 'map.description': 'Notes' },
    );

    expect(outcome.status).toBe('succeeded');
    const [task] = await harness.db
      .selectFrom('tasks')
      .select(['title', 'description'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    expect(task).toEqual({ title: 'Say "hi", then go', description: 'a,b\r\nc' });
  });

  it('fails on the header when a mapped column is missing', async () => {
    const { member, workspaceId, projectId } = await team();

    const outcome = await importCsv(
      'Name,Notes\nx,y\n',
      { workspaceId, projectId, actor: member.user },
      { 'map.title': 'Summary' },
    );

    expect(outcome).toMatchObject({
      status: 'failed',
      report: {
        created: 0,
        errors: [
          { row: 1, field: 'title', message: 'No column "Summary" in the header (map.title)' },
        ],
      },
    });
  });

  it('sets the parent by key, and a state by name', async () => {
    const { member, workspaceId, projectId } = await team();
    const parent = await member.api.tasks.create({ projectId, title: 'Parent' });
    const csv = `title,parent,state\nchild,${parent.key},done\norphan,ENG-99,\nwrong,OPS-1,\nlost,,Doing\n`;

    const outcome = await importCsv(
      csv,
      { workspaceId, projectId, actor: member.user },
      { skipInvalid: 'true' },
    );

    expect(outcome.report?.errors).toEqual([
      { row: 3, field: 'parent', message: 'No task ENG-99 in this project' },
      { row: 4, field: 'parent', message: 'Must be a task of project ENG' },
      {
        row: 5,
        field: 'state',
        message: 'No state named "Doing" in ENG (Backlog, Todo, In Progress, Done, Canceled)',
      },
    ]);
    const child = await harness.db
      .selectFrom('tasks')
      .select(['parent_id', 'status', 'completed_at'])
      .where('title', '=', 'child')
      .executeTakeFirstOrThrow();
    expect(child).toEqual({
      parent_id: parent.id,
      status: 'done',
      completed_at: START.toISOString(),
    });
  });

  it('checks again before writing: an assignee who left fails the import, or is skipped', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const csv = `title,assignee\nfirst,${member.email}\nsecond,\n`;
    const leave = () =>
      harness.db
        .deleteFrom('memberships')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', member.user.id)
        .execute()
        .then(() => {});

    const failed = await importCsv(csv, { workspaceId, projectId, actor: owner.user }, {}, leave);

    expect(failed).toMatchObject({
      status: 'failed',
      error: 'Rows became invalid while the import waited to write; nothing was imported',
      report: { created: 0, invalid: 1, errors: [{ row: 2, field: 'assignee' }] },
    });
    expect(await storedTitles(workspaceId)).toEqual([]);

    await harness.addMember(workspaceId, member.user.id, 'member');
    const skipped = await importCsv(
      csv,
      { workspaceId, projectId, actor: owner.user },
      { skipInvalid: 'true' },
      leave,
    );

    expect(skipped).toMatchObject({
      status: 'succeeded',
      report: { rows: 2, created: 1, invalid: 1, errors: [{ row: 2, field: 'assignee' }] },
    });
    expect(await storedTitles(workspaceId)).toEqual(['1 second']);
  });

  it('reports progress: validating, then writing with the total', async () => {
    const { member, workspaceId, projectId } = await team();
    const rows = Array.from({ length: 1200 }, (_, i) => `task ${i}`);

    const outcome = await importCsv(['title', ...rows].join('\n'), {
      workspaceId,
      projectId,
      actor: member.user,
    });

    expect(outcome.report).toMatchObject({ created: 1200, lastKey: 'ENG-1200' });
    expect(outcome.progress[0]).toEqual({ phase: 'validating', done: 0, total: null });
    expect(outcome.progress).toContainEqual({ phase: 'validating', done: 1200, total: null });
    expect(outcome.progress).toContainEqual({ phase: 'writing', done: 0, total: 1200 });
    expect(outcome.progress.at(-1)).toEqual({ phase: 'writing', done: 1200, total: 1200 });
  });
});
