// The CSV task import over HTTP (SQLite, or PostgreSQL with TRELLIS_TEST_DIALECT=postgres):
// POST /api/v1/workspaces/{id}/import/tasks.csv, then imports.get until the job ends.
// The rules a row is judged by are packages/api/src/imports/csv-tasks.test.ts's.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { acceptedJob, type ImportJob, waitForJob } from './support/imports.js';
import { expectRestError } from './support/rest.js';
import { dataOf, type Reply } from './support/wire.js';
import { workOn } from './support/work.js';

const wire = serveThisFile({ importMaxBytes: 4 * 1024 * 1024 });
const { makeTeam, join } = accountsOn(wire);
const { createProject } = workOn(wire);

let team: Team;
let projectId: string;
let projectKey: string;
let viewerToken: string;

beforeAll(async () => {
  team = await makeTeam();
  const project = await createProject(team.owner.token, team.workspaceId, 'CSV');
  projectId = project.id;
  projectKey = project.key;
  viewerToken = (await join(team.owner, team.workspaceId, 'viewer')).token;
});

/** POST the CSV as `token` into `workspaceId` (the team's by default). */
function uploadCsv(
  token: string,
  body: string | Buffer,
  query: Record<string, string> = {},
  options: { workspaceId?: string; contentType?: string } = {},
): Promise<Reply> {
  const params = new URLSearchParams({ projectId, ...query });
  const workspaceId = options.workspaceId ?? team.workspaceId;
  return wire.send(`/api/v1/workspaces/${workspaceId}/import/tasks.csv?${params}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': options.contentType ?? 'text/csv; charset=utf-8',
    },
    body,
  });
}

/** Uploads and waits for the job to end. */
async function importCsv(body: string | Buffer, query: Record<string, string> = {}) {
  const job = acceptedJob(await uploadCsv(team.member.token, body, query));
  expect(job).toMatchObject({ kind: 'tasks.csv', workspaceId: team.workspaceId });
  return waitForJob(wire, team.member.token, job.id);
}

interface Report {
  rows: number;
  created: number;
  invalid: number;
  errorCount: number;
  errors: { row: number; field: string | null; message: string }[];
  firstKey: string | null;
  lastKey: string | null;
}
const reportOf = (job: ImportJob) => job.report as unknown as Report;

async function taskCount(): Promise<number> {
  const row = await wire.server.db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function createdEvents(): Promise<number> {
  const row = await wire.server.db
    .selectFrom('activity')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('workspace_id', '=', team.workspaceId)
    .where('type', '=', 'task.created')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** 10,000 data rows (rows 2…10,001 of the file) with these rows broken. */
function tenThousandRows(bad: Record<number, string>): string {
  const lines = ['Title,Priority,Labels,Due'];
  for (let row = 2; row <= 10_001; row += 1) {
    lines.push(
      bad[row] ??
        `Task ${row},${row % 5},"a, b",2031-01-${String((row % 28) + 1).padStart(2, '0')}`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe('CSV task import', () => {
  it('refuses 10,000 rows with 3 bad ones, naming them, then takes the rest with skipInvalid', async () => {
    const before = await taskCount();
    const eventsBefore = await createdEvents();
    const csv = tenThousandRows({
      17: ',1,,',
      5000: 'Task 5000,7,,',
      9999: 'Task 9999,1,,tomorrow',
    });

    const refused = await importCsv(csv);

    expect(refused).toMatchObject({ status: 'failed', phase: 'failed' });
    expect(refused.error).toMatch(/^3 rows of 10000 invalid; nothing was imported/);
    expect(reportOf(refused)).toMatchObject({ rows: 10_000, created: 0, invalid: 3 });
    expect(reportOf(refused).errors.map(({ row, field }) => [row, field])).toEqual([
      [17, 'title'],
      [5000, 'priority'],
      [9999, 'dueAt'],
    ]);
    expect(await taskCount()).toBe(before);
    expect(await createdEvents()).toBe(eventsBefore);

    const seen: ImportJob[] = [];
    const job = acceptedJob(await uploadCsv(team.member.token, csv, { skipInvalid: 'true' }));
    const accepted = await waitForJob(wire, team.member.token, job.id, seen);

    expect(accepted).toMatchObject({ status: 'succeeded', done: 9997, total: 9997 });
    const report = reportOf(accepted);
    expect(report).toMatchObject({ rows: 10_000, created: 9997, invalid: 3, errorCount: 3 });
    expect(report.errors.map(({ row }) => row)).toEqual([17, 5000, 9999]);
    expect(await taskCount()).toBe(before + 9997);
    // One task.created event per task, as tasks.create writes.
    expect(await createdEvents()).toBe(eventsBefore + 9997);
    expect(new Set(seen.map((s) => s.phase))).not.toContain('failed');
  });

  it('reads mapped columns, quotes, CRLF and a BOM', async () => {
    const csv = Buffer.from(
      '\uFEFFSummary,Owner,Tags,Notes\r\n' +
        `"Quote ""this"", please",${team.colleague.email},"x; y, z","two\r\nlines"\r\n`,
    );

    const job = await importCsv(csv, {
      'map.title': 'summary',
      'map.assignee': 'Owner',
      'map.labels': 'TAGS',
      'map.description': 'Notes',
    });

    expect(job.status, job.error ?? '').toBe('succeeded');
    const key = reportOf(job).firstKey;
    const page = dataOf<{
      items: {
        key: string;
        title: string;
        assigneeId: string | null;
        labels: string[];
        description: string;
      }[];
    }>(
      await wire.query(
        'tasks.list',
        { workspaceId: team.workspaceId, projectId, sort: 'created', order: 'desc', limit: 1 },
        { token: team.member.token },
      ),
    );
    expect(page.items[0]).toMatchObject({
      key,
      title: 'Quote "this", please',
      assigneeId: team.colleague.user.id,
      labels: ['x; y', 'z'],
      description: 'two\r\nlines',
    });
    expect(key).toMatch(new RegExp(`^${projectKey}-\\d+$`));
  });

  it('lets members and write tokens in; a viewer gets 403, a non-member 404', async () => {
    const csv = 'title\nfrom a token\n';
    expectRestError(await uploadCsv(viewerToken, csv), 403, 'FORBIDDEN');
    expectRestError(await uploadCsv(team.outsider.token, csv), 404, 'NOT_FOUND');
    expectRestError(
      await uploadCsv(team.outsider.token, csv, {}, { workspaceId: team.outsiderWorkspaceId }),
      404,
      'NOT_FOUND',
    );
    expectRestError(await uploadCsv('not-a-token', csv), 401, 'UNAUTHORIZED');

    const tokens = await Promise.all(
      (['read', 'write'] as const).map(async (scope) =>
        dataOf<{ token: string }>(
          await wire.mutate(
            'apiTokens.create',
            { workspaceId: team.workspaceId, name: `csv ${scope}`, scope },
            { token: team.owner.token },
          ),
        ),
      ),
    );
    expectRestError(await uploadCsv(tokens[0]?.token ?? '', csv), 403, 'FORBIDDEN');
    const job = acceptedJob(await uploadCsv(tokens[1]?.token ?? '', csv));
    // The token's import is its creator's to poll.
    expect(await waitForJob(wire, team.owner.token, job.id)).toMatchObject({
      status: 'succeeded',
    });
  });

  it('refuses bad options and bodies before reading the file', async () => {
    const csv = 'title\nx\n';
    const missing = expectRestError(
      await wire.send(`/api/v1/workspaces/${team.workspaceId}/import/tasks.csv`, {
        method: 'POST',
        headers: { authorization: `Bearer ${team.member.token}`, 'content-type': 'text/csv' },
        body: csv,
      }),
      400,
      'BAD_REQUEST',
    );
    expect(missing.fieldErrors).toHaveProperty('projectId');
    const unknown = expectRestError(
      await uploadCsv(team.member.token, csv, { 'map.owner': 'x' }),
      400,
      'BAD_REQUEST',
    );
    expect(unknown.fieldErrors).toHaveProperty(['map.owner']);
    const flag = expectRestError(
      await uploadCsv(team.member.token, csv, { skipInvalid: 'yes' }),
      400,
      'BAD_REQUEST',
    );
    expect(flag.fieldErrors).toHaveProperty('skipInvalid');
    expectRestError(
      await uploadCsv(team.member.token, csv, { projectId: 'nope' }),
      404,
      'NOT_FOUND',
    );
    const archived = await createProject(team.owner.token, team.workspaceId, 'OLD');
    dataOf(
      await wire.mutate(
        'projects.archive',
        { projectId: archived.id },
        { token: team.owner.token },
      ),
    );
    expectRestError(
      await uploadCsv(team.member.token, csv, { projectId: archived.id }),
      409,
      'CONFLICT',
    );
    expectRestError(
      await uploadCsv(team.member.token, csv, {}, { contentType: 'application/json' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectRestError(
      await uploadCsv(team.member.token, 'x'.repeat(4 * 1024 * 1024 + 1)),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('fails a file that is not CSV, naming the row', async () => {
    const job = await importCsv('title\n"unclosed\n');

    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^Row 2 is not valid CSV/);
    expect(reportOf(job).errors).toEqual([
      { row: 2, field: null, message: expect.stringMatching(/^Row 2 is not valid CSV/) },
    ]);
  });
});
